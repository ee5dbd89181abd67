package dev.spice.runtime.crac;

/** A resource failed after the restore; its own exceptions are suppressed in this one. */
public class RestoreException extends Exception {
    public RestoreException() {}
}
