package dev.spice.restore;

import dev.spice.sys.ErrnoException;
import dev.spice.sys.FdStreams;
import dev.spice.sys.Fds;
import dev.spice.sys.Processes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A launcher started ahead of need: its process, PID and mount namespaces, /proc, cgroup and
 * stdio exist, and its init waits for the image to restore. Taking one off a pool turns a restore
 * into one write and one read: spawning, namespace creation and the cgroup move (which on cgroup
 * v1 waits for an RCU grace period, up to tens of milliseconds) happened earlier.
 */
public final class Zygote implements AutoCloseable {
    /** Descriptors per message, under the kernel's limit (SCM_MAX_FD). */
    private static final int PINNED_PER_MESSAGE = 200;
    private final Launcher.Spawned spawned;
    private static final long CLOSE_GRACE_NANOS = 5_000_000_000L;
    private static final int SIGKILL = 9;

    private final int commandFd;
    private final int initPid;
    private boolean used;

    private Zygote(Launcher.Spawned spawned, int commandFd, int initPid) {
        this.spawned = spawned;
        this.commandFd = commandFd;
        this.initPid = initPid;
    }

    /** Waits for the zygote's "ready INIT_PID". */
    static Zygote ready(Launcher.Spawned s, int commandFd) {
        String line = s.readReport(System.nanoTime() + Launcher.REPORT_TIMEOUT.toNanos());
        if (line == null || !line.startsWith("ready ")) {
            Fds.close(commandFd);
            Fds.close(s.statusFd());
            throw s.failed(line);
        }
        return new Zygote(s, commandFd, Integer.parseInt(line.substring(6).strip()));
    }

    /**
     * Restores {@code image} in this zygote (once). A sandboxed zygote first binds {@code binds}
     * (the function's own paths) into its root; the others take none.
     */
    public LaunchedProcess restore(Path image, Prefetch prefetch, List<Path> binds) {
        return restore(image, prefetch, binds, null);
    }

    /**
     * As {@link #restore(Path, Prefetch, List)}, sending the zygote {@code pinned}'s descriptors of
     * the image's files with the command, so that it opens none of them by path; null or closed
     * pins: none.
     */
    public LaunchedProcess restore(Path image, Prefetch prefetch, List<Path> binds, PinnedFiles pinned) {
        if (used) {
            throw new IllegalStateException("a zygote restores only once");
        }
        // Until the command is written the zygote is unused: on a failure before it, close() ends it.
        long started = System.nanoTime();
        Path path = ValidatedImages.validate(image);
        long sent = System.nanoTime();
        if (pinned != null && pinned.count() > 0 && pinned.acquire()) {
            try {
                sendPinned(pinned);
            } catch (ErrnoException e) {
                throw new RestoreFailedException("the zygote is gone: " + e.getMessage());
            } finally {
                pinned.release();               // the zygote has its own descriptors now
            }
        }
        StringBuilder lines = new StringBuilder();
        for (Path p : binds) {
            lines.append("bind ").append(p).append('\n');
        }
        lines.append("restore ").append(prefetch.argument()).append(' ').append(path).append('\n');
        used = true;
        try (OutputStream command = FdStreams.output(commandFd)) {
            command.write(lines.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            Fds.close(spawned.statusFd());
            throw new RestoreFailedException("the zygote is gone: " + e.getMessage());
        }
        return new Launcher.Spawned(spawned.launcher(), spawned.statusFd(), sent).finish(false, started, false);
    }

    /** Lines "files I J ...", each sent with the descriptors of files I, J, ... (SCM_RIGHTS). */
    private void sendPinned(PinnedFiles pinned) {
        int[] indexes = pinned.indexes(), fds = pinned.fds();
        for (int from = 0; from < fds.length; from += PINNED_PER_MESSAGE) {
            int to = Math.min(fds.length, from + PINNED_PER_MESSAGE);
            StringBuilder line = new StringBuilder("files");
            for (int k = from; k < to; k++) {
                line.append(' ').append(indexes[k]);
            }
            Fds.sendWithFds(commandFd, line.append('\n').toString().getBytes(StandardCharsets.US_ASCII),
                    Arrays.copyOfRange(fds, from, to));
        }
    }

    public int initPid() {
        return initPid;
    }

    /**
     * Ends an unused zygote: its init (and so the launcher) ends when the command socket closes.
     * Should another copy of the socket keep it open, its init (the zygote's PID 1, a host PID) is
     * killed after a grace period, which ends the launcher too, rather than waited for forever.
     */
    @Override
    public void close() {
        if (used) {
            return;
        }
        used = true;
        Fds.close(commandFd);
        Fds.close(spawned.statusFd());
        try {
            if (!launcherEndsWithin(CLOSE_GRACE_NANOS)) {
                Processes.kill(initPid, SIGKILL);
                Processes.waitFor(spawned.launcher());
            }
        } catch (ErrnoException e) {
            // already reaped
        }
    }

    /** Whether the launcher ends (and is reaped) within {@code nanos}; false also when interrupted. */
    private boolean launcherEndsWithin(long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (Processes.poll(spawned.launcher()) == -1) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
