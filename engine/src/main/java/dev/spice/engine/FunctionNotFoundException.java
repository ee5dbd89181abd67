package dev.spice.engine;

/** No function of that name (or no such version of it, as NAME:QUALIFIER) is deployed. */
public final class FunctionNotFoundException extends EngineException {
    private final String name;

    public FunctionNotFoundException(String name) {
        super("function not found: " + name);
        this.name = name;
    }

    /** The function, as NAME or NAME:QUALIFIER. */
    public String name() {
        return name;
    }
}
