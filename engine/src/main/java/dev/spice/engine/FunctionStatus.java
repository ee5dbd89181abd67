package dev.spice.engine;

/**
 * A function's lifecycle as the Lambda API reports it. A deployment started through
 * {@link Engine#create} or {@link Engine#update} returns at once and finishes (boot, warm-up,
 * snapshot) in the background: the function is PENDING until its first deployment is ACTIVE (or
 * FAILED), and each later deployment's progress is lastUpdate. info is the configuration being
 * deployed while a deployment runs, otherwise the active one's (or the failed one's, if none is
 * active); reason says why the last deployment failed.
 */
public record FunctionStatus(FunctionInfo info, State state, UpdateStatus lastUpdate, String reason) {
    public enum State { PENDING, ACTIVE, FAILED }

    public enum UpdateStatus { IN_PROGRESS, SUCCESSFUL, FAILED }
}
