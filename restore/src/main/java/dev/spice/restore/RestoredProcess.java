package dev.spice.restore;

import dev.spice.sys.Processes;

/**
 * A process rebuilt from an image, running. {@link #pid()} is its PID as seen from here (inside
 * its own PID namespace it has its original PID); {@link #initPid()} is PID 1 of that namespace,
 * whose end ends everything in it.
 */
public final class RestoredProcess {
    private final int pid;
    private final int initPid;
    private final int launcherPid;
    private final RestoreTimings timings;

    RestoredProcess(int pid, int initPid, int launcherPid, RestoreTimings timings) {
        this.pid = pid;
        this.initPid = initPid;
        this.launcherPid = launcherPid;
        this.timings = timings;
    }

    public int pid() {
        return pid;
    }

    public int initPid() {
        return initPid;
    }

    public RestoreTimings timings() {
        return timings;
    }

    /**
     * Waits for the process to end and returns its exit code (128 + signal if killed). Only for
     * restores that were not detached: the launcher stays to report it.
     */
    public int waitFor() {
        if (launcherPid <= 0) {
            throw new IllegalStateException("a detached restore cannot be waited for");
        }
        return Processes.exitCode(Processes.waitFor(launcherPid));
    }

    /** Kills the whole namespace: the process, its init and any children. */
    public void kill() {
        Processes.kill(initPid, Processes.SIGKILL);
    }
}
