package dev.spice.tests;

import dev.spice.sys.ErrnoException;
import dev.spice.sys.LineQueue;
import dev.spice.sys.Processes;
import dev.spice.sys.Spawner;
import java.util.List;
import java.util.Map;

/** A program the test started (as our child, in its own session) with piped stdio; killed by PID on close. */
final class TestProcess implements AutoCloseable {
    final int pid;
    final Stdio stdio;

    private TestProcess(int pid, Stdio stdio) {
        this.pid = pid;
        this.stdio = stdio;
    }

    static TestProcess start(List<String> argv, Map<String, String> env) {
        Stdio stdio = new Stdio();
        int pid = Spawner.spawn(argv, env, stdio.childFds(), true);
        return new TestProcess(pid, stdio.started(argv.getLast() + "-" + pid));
    }

    LineQueue stdout() {
        return stdio.stdout;
    }

    /** Waits for the process to exit and returns its exit code (128 + signal if killed). */
    int waitFor() {
        return Processes.exitCode(Processes.waitFor(pid));
    }

    boolean alive() {
        return Processes.alive(pid);
    }

    @Override
    public void close() {
        Processes.kill(pid, Processes.SIGKILL);
        try {
            Processes.waitFor(pid);
        } catch (ErrnoException e) {
            // already reaped: by waitFor(), or by a capture that killed it and waited as its tracer
        }
        stdio.close();
    }
}
