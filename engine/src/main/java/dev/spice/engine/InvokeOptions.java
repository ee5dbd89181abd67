package dev.spice.engine;

/**
 * forceCold: restore a new instance from the snapshot even if a warm one is idle. forceBoot: boot
 * a new instance from scratch, ignoring the snapshot (for measurements; implies forceCold).
 */
public record InvokeOptions(boolean forceCold, boolean forceBoot) {
    public static final InvokeOptions DEFAULT = new InvokeOptions(false, false);

    public InvokeOptions(boolean forceCold) {
        this(forceCold, false);
    }
}
