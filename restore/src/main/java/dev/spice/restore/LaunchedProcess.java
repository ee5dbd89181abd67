package dev.spice.restore;

import dev.spice.sys.Processes;

/**
 * A process started in its own PID namespace, running. {@link #pid()} is its PID as seen from
 * here (inside, a restored process has its original PID); {@link #initPid()} is PID 1 of that
 * namespace, whose end ends everything in it.
 */
public final class LaunchedProcess {
    private final int pid;
    private final int initPid;
    private final int launcherPid;
    private final RestoreTimings timings;

    private LaunchedProcess(int pid, int initPid, int launcherPid, RestoreTimings timings) {
        this.pid = pid;
        this.initPid = initPid;
        this.launcherPid = launcherPid;
        this.timings = timings;
    }

    /** Parses "ok PID INIT_PID TL TI T0 T1 T2 T3" (see restorer.c) against our own clock readings. */
    static LaunchedProcess fromReport(String line, long started, long spawned, long reported, int launcherPid) {
        String[] f = line.split(" ");
        long launch = Long.parseLong(f[3]), init = Long.parseLong(f[4]), t0 = Long.parseLong(f[5]),
                t1 = Long.parseLong(f[6]), t2 = Long.parseLong(f[7]), t3 = Long.parseLong(f[8]);
        RestoreTimings timings = new RestoreTimings(spawned - started, launch - spawned, init - launch, t0 - init,
                t1 - t0, t2 - t1, t3 - t2, reported - t3);
        return new LaunchedProcess(Integer.parseInt(f[1]), Integer.parseInt(f[2]), launcherPid, timings);
    }

    public int pid() {
        return pid;
    }

    public int initPid() {
        return initPid;
    }

    /** The launcher that waits for the namespace (-1 if detached): our child, reaped by {@link #waitFor}. */
    public int launcherPid() {
        return launcherPid;
    }

    public RestoreTimings timings() {
        return timings;
    }

    /**
     * Waits for the process to end and returns its exit code (128 + signal if killed). Only for
     * launches that were not detached: the launcher stays to report it.
     */
    public int waitFor() {
        if (launcherPid <= 0) {
            throw new IllegalStateException("a detached process cannot be waited for");
        }
        return Processes.exitCode(Processes.waitFor(launcherPid));
    }

    /** Kills the whole namespace: the process, its init and any children. */
    public void kill() {
        Processes.kill(initPid, Processes.SIGKILL);
    }
}
