package dev.spice.runtime.crac;

/** A resource refused the checkpoint; its own exceptions are suppressed in this one. */
public class CheckpointException extends Exception {
    public CheckpointException() {}
}
