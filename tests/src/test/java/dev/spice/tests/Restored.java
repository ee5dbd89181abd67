package dev.spice.tests;

import dev.spice.restore.LaunchedProcess;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.Launcher;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.LineQueue;
import dev.spice.sys.Processes;
import java.nio.file.Path;

/** A process the test restored with piped stdio; its namespace is killed by PID on close. */
final class Restored implements AutoCloseable {
    final LaunchedProcess process;
    final Stdio stdio;

    private Restored(LaunchedProcess process, Stdio stdio) {
        this.process = process;
        this.stdio = stdio;
    }

    static Restored restore(Path image) {
        Stdio stdio = new Stdio();
        try {
            LaunchedProcess p = Launcher.restore(image, LaunchOptions.attached(stdio.childFds()));
            return new Restored(p, stdio.started("restored-" + p.pid()));
        } catch (RuntimeException e) {
            stdio.close();
            throw e;
        }
    }

    LineQueue stdout() {
        return stdio.stdout;
    }

    int waitFor() {
        return process.waitFor();
    }

    @Override
    public void close() {
        process.kill();
        try {
            process.waitFor();
        } catch (ErrnoException e) {
            // the launcher was already waited for
        }
        stdio.close();
    }
}
