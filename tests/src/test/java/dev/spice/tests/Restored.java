package dev.spice.tests;

import dev.spice.restore.LaunchedProcess;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.Launcher;
import dev.spice.restore.PinnedFiles;
import dev.spice.restore.Prefetch;
import dev.spice.restore.Zygote;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.LineQueue;
import dev.spice.sys.Processes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** A process the test restored with piped stdio; its namespace is killed by PID on close. */
final class Restored implements AutoCloseable {
    final LaunchedProcess process;
    final Stdio stdio;

    private Restored(LaunchedProcess process, Stdio stdio) {
        this.process = process;
        this.stdio = stdio;
    }

    static Restored restore(Path image) {
        return restore(image, null);
    }

    /** Restored by a launcher that is handed {@code pinned}'s descriptors (null: none). */
    static Restored restore(Path image, PinnedFiles pinned) {
        Stdio stdio = new Stdio();
        try {
            LaunchedProcess p = Launcher.restore(image, LaunchOptions.attached(stdio.childFds()), pinned);
            return new Restored(p, stdio.started("restored-" + p.pid()));
        } catch (RuntimeException e) {
            stdio.close();
            throw e;
        }
    }

    /**
     * {@code n} restores of {@code image} started at once; if any fails, those that succeeded are
     * closed and the failure is thrown.
     */
    static List<Restored> concurrently(Path image, int n) throws InterruptedException, ExecutionException {
        List<Future<Restored>> starts = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            for (int i = 0; i < n; i++) {
                starts.add(pool.submit(() -> restore(image)));
            }
        }
        List<Restored> restored = new ArrayList<>();
        ExecutionException failed = null;
        for (Future<Restored> f : starts) {
            try {
                restored.add(f.get());
            } catch (ExecutionException e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            restored.forEach(Restored::close);
            throw failed;
        }
        return restored;
    }

    /** Restored in a zygote that is sent {@code pinned}'s descriptors with its command (null: none). */
    static Restored restoreInZygote(Path image, PinnedFiles pinned) {
        Stdio stdio = new Stdio();
        try {
            Zygote z = Launcher.zygote(LaunchOptions.attached(stdio.childFds()));
            stdio.started("zygote-" + z.initPid());
            try {
                return new Restored(z.restore(image, Prefetch.FULL, List.of(), pinned), stdio);
            } catch (RuntimeException e) {
                z.close();
                throw e;
            }
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
