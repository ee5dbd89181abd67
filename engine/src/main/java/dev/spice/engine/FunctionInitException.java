package dev.spice.engine;

import com.fasterxml.jackson.databind.JsonNode;

/** The runtime could not import the handler (or died first); errorType and message as Lambda reports them. */
public final class FunctionInitException extends EngineException {
    private final String errorType;
    private final transient JsonNode error;

    public FunctionInitException(String errorType, String message, JsonNode error) {
        super(errorType + ": " + message);
        this.errorType = errorType;
        this.error = error;
    }

    public String errorType() {
        return errorType;
    }

    /** The runtime's error object (errorMessage, errorType, stackTrace), or null. */
    public JsonNode error() {
        return error;
    }
}
