package dev.spice.engine;

/** How an invocation got its instance. */
public enum InvocationPath {
    /** An idle instance was waiting. */
    WARM,
    /** A new instance was restored from the function's snapshot. */
    RESTORED,
    /** A new instance was booted from scratch (no snapshot, or restoring it failed). */
    BOOTED;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
