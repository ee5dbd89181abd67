package dev.spice.restore;

import dev.spice.sys.ErrnoException;
import dev.spice.sys.Fds;
import dev.spice.sys.Processes;
import dev.spice.sys.Spawner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts processes in fresh PID and mount namespaces (and, with a {@link Sandbox}, user and
 * network namespaces and a root of their own) through the freestanding launcher
 * (restore/src/main/c): {@link #restore} rebuilds one from an image after validating it
 * completely; {@link #boot} execs a program the same way, as the engine does for a cold boot;
 * {@link #zygote} prepares a launcher that restores later, when told which image.
 */
public final class Launcher {
    /** The launcher's report arrives on this descriptor, its lifeline and command on these. */
    private static final int STATUS_FD = 3, LIFELINE_FD = 4, COMMAND_FD = 5;
    /** Pinned files are handed over as descriptors from this one on (see {@link PinnedFiles}). */
    private static final int FIRST_PINNED_FD = 6;
    static final Duration REPORT_TIMEOUT = Duration.ofSeconds(60);

    private Launcher() {}

    /**
     * Restores {@code image}; nothing is started unless the whole image is valid here (validated
     * once per unchanged image file, see {@link ValidatedImages}).
     */
    public static LaunchedProcess restore(Path image, LaunchOptions options) {
        return restore(image, options, null);
    }

    /**
     * As {@link #restore(Path, LaunchOptions)}, handing the launcher {@code pinned}'s descriptors
     * of the image's files (inherited from {@link #FIRST_PINNED_FD} on), so that it opens none of
     * them by path; null or closed pins: none.
     */
    public static LaunchedProcess restore(Path image, LaunchOptions options, PinnedFiles pinned) {
        long started = System.nanoTime();
        Path path = ValidatedImages.validate(image);
        List<String> mode = new ArrayList<>();
        Map<Integer, Integer> inherited = new HashMap<>();
        boolean pins = pinned != null && pinned.count() > 0 && pinned.acquire();
        Spawned s;
        try {
            if (pins) {
                int[] indexes = pinned.indexes(), fds = pinned.fds();
                StringBuilder arg = new StringBuilder("--pinned=").append(FIRST_PINNED_FD).append(':');
                for (int k = 0; k < fds.length; k++) {
                    arg.append(k == 0 ? "" : ",").append(indexes[k]);
                    inherited.put(FIRST_PINNED_FD + k, fds[k]);
                }
                mode.add(arg.toString());
            }
            mode.addAll(List.of("restore", path.toString()));
            s = spawn(mode, inherited, Map.of(), options, -1);
        } finally {
            if (pins) {
                pinned.release();               // the launcher has its own descriptors now
            }
        }
        return s.finish(options.detach(), started, false);
    }

    /** Boots {@code argv} (argv[0] an absolute path) in {@code dir} with exactly {@code env}. */
    public static LaunchedProcess boot(Path dir, List<String> argv, Map<String, String> env, LaunchOptions options) {
        long started = System.nanoTime();
        List<String> mode = new ArrayList<>(List.of("exec", dir.toAbsolutePath().toString()));
        mode.addAll(argv);
        return spawn(mode, Map.of(), env, options, -1).finish(options.detach(), started, true);
    }

    /** A launcher with its namespaces, cgroup and stdio ready, waiting for an image (see {@link Zygote}). */
    public static Zygote zygote(LaunchOptions options) {
        int[] command = Fds.socketPair();       // a socket, so that descriptors can go with the command
        Spawned s;
        try {
            s = spawn(List.of("zygote"), Map.of(), Map.of(), options, command[1]);
        } catch (RuntimeException e) {
            Fds.close(command[0]);
            throw e;
        } finally {
            Fds.close(command[1]);
        }
        return Zygote.ready(s, command[0]);
    }

    /** {@code mode}: options that only this mode takes, then the mode; {@code inherited}: their descriptors. */
    private static Spawned spawn(List<String> mode, Map<Integer, Integer> inherited, Map<String, String> env,
            LaunchOptions options, int commandFd) {
        List<String> argv = new ArrayList<>(List.of(RestorerBinary.path().toString(), "--status=" + STATUS_FD));
        Map<Integer, Integer> fds = new HashMap<>(options.stdio());
        fds.putAll(inherited);
        if (options.detach()) {
            argv.add("--detach");
        }
        for (Path cgroup : options.cgroups()) {
            argv.add("--cgroup=" + cgroup);
        }
        if (options.lifelineFd() >= 0) {
            argv.add("--lifeline=" + LIFELINE_FD);
            fds.put(LIFELINE_FD, options.lifelineFd());
        }
        if (commandFd >= 0) {
            argv.add("--command=" + COMMAND_FD);
            fds.put(COMMAND_FD, commandFd);
        }
        argv.add("--prefetch=" + options.prefetch().argument());
        if (options.sandbox() != null) {
            argv.addAll(options.sandbox().arguments());
        }
        argv.addAll(mode);
        int[] status = Fds.pipe();
        fds.put(STATUS_FD, status[1]);
        try {
            long spawned = System.nanoTime();
            return new Spawned(Spawner.spawn(argv, env, fds, false), status[0], spawned);
        } catch (RuntimeException e) {
            Fds.close(status[0]);
            throw e;
        } finally {
            Fds.close(status[1]);
        }
    }

    /** A launcher just started: its PID and the read end of its report. */
    record Spawned(int launcher, int statusFd, long spawnedNanos) {

        /** Reads the report ("ok ..." then, for exec, end of file) and closes the report pipe. */
        LaunchedProcess finish(boolean detach, long started, boolean exec) {
            try {
                long deadline = System.nanoTime() + REPORT_TIMEOUT.toNanos();
                String line = readReport(deadline);
                long reported = System.nanoTime();
                if (line == null || !line.startsWith("ok ")) {
                    throw failed(line);
                }
                if (exec) {
                    // The report closes when the exec succeeded; a line after "ok" says why it did not.
                    String after = readReport(deadline);
                    if (after != null) {
                        throw failed(after);
                    }
                }
                if (detach) {
                    Processes.waitFor(launcher);
                }
                return LaunchedProcess.fromReport(line, started, spawnedNanos, reported, detach ? -1 : launcher);
            } finally {
                Fds.close(statusFd);
            }
        }

        String readReport(long deadline) {
            try {
                return Fds.readLine(statusFd, deadline);
            } catch (ErrnoException e) {
                Processes.kill(launcher, Processes.SIGKILL);
                Processes.waitFor(launcher);
                throw new RestoreFailedException("the launcher did not report within " + REPORT_TIMEOUT.toSeconds()
                        + " s");
            }
        }

        RestoreFailedException failed(String line) {
            int exit = Processes.exitCode(Processes.waitFor(launcher));
            return new RestoreFailedException(line != null && line.startsWith("error ")
                    ? line.substring(6)
                    : "the launcher ended without a report (exit status " + exit + ")");
        }
    }
}
