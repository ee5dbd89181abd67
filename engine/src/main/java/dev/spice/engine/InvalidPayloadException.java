package dev.spice.engine;

/** The invocation's payload is not JSON. */
public final class InvalidPayloadException extends EngineException {
    public InvalidPayloadException(String message) {
        super(message);
    }
}
