package dev.spice.engine;

/** A function could not be deployed: a bad manifest, an import error, a failing warm-up event... */
public final class DeployException extends EngineException {
    public DeployException(String message) {
        super(message);
    }

    public DeployException(String message, Throwable cause) {
        super(message, cause);
    }
}
