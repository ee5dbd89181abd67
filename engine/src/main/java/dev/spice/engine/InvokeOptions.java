package dev.spice.engine;

/** forceCold: restore a new instance from the snapshot even if a warm one is idle. */
public record InvokeOptions(boolean forceCold) {
    public static final InvokeOptions DEFAULT = new InvokeOptions(false);
}
