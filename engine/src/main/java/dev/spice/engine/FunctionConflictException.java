package dev.spice.engine;

/** The function is in a state that does not allow the request: it exists already, or a deployment of it is running. */
public final class FunctionConflictException extends EngineException {
    public FunctionConflictException(String message) {
        super(message);
    }
}
