package dev.spice.engine;

/** No function of that name is deployed. */
public final class FunctionNotFoundException extends EngineException {
    public FunctionNotFoundException(String name) {
        super("function not found: " + name);
    }
}
