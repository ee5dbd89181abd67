package dev.spice.engine;

/** Every instance a function may have is busy and the wait for one timed out. */
public final class TooManyRequestsException extends EngineException {
    public TooManyRequestsException(String message) {
        super(message);
    }
}
