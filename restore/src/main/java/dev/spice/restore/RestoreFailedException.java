package dev.spice.restore;

/** A restore was refused before it started, or the restorer reported a failure; nothing is left running. */
public final class RestoreFailedException extends RuntimeException {
    public RestoreFailedException(String message) {
        super(message);
    }
}
