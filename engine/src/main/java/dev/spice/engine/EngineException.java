package dev.spice.engine;

/** A request the engine cannot carry out; the message is one line for the user. */
public class EngineException extends RuntimeException {
    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
