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
 * Starts processes in fresh PID and mount namespaces through the freestanding launcher
 * (restore/src/main/c): {@link #restore} rebuilds one from an image after validating it
 * completely; {@link #boot} execs a program the same way, as the engine does for a cold boot.
 */
public final class Launcher {
    /** The launcher's report arrives on this descriptor. */
    private static final int STATUS_FD = 3;
    private static final int LIFELINE_FD = 4;
    private static final Duration REPORT_TIMEOUT = Duration.ofSeconds(60);

    private Launcher() {}

    /**
     * Restores {@code image}; nothing is started unless the whole image is valid here (validated
     * once per unchanged image file, see {@link ValidatedImages}).
     */
    public static LaunchedProcess restore(Path image, LaunchOptions options) {
        long started = System.nanoTime();
        Path path = ValidatedImages.validate(image);
        return launch(List.of("restore", path.toString()), Map.of(), options, started, false);
    }

    /** Boots {@code argv} (argv[0] an absolute path) in {@code dir} with exactly {@code env}. */
    public static LaunchedProcess boot(Path dir, List<String> argv, Map<String, String> env, LaunchOptions options) {
        List<String> mode = new ArrayList<>(List.of("exec", dir.toAbsolutePath().toString()));
        mode.addAll(argv);
        return launch(mode, env, options, System.nanoTime(), true);
    }

    private static LaunchedProcess launch(List<String> mode, Map<String, String> env, LaunchOptions options,
            long started, boolean exec) {
        List<String> argv = new ArrayList<>(List.of(RestorerBinary.path().toString(), "--status=" + STATUS_FD));
        if (options.detach()) {
            argv.add("--detach");
        }
        if (options.cgroup() != null) {
            argv.add("--cgroup=" + options.cgroup());
        }
        if (options.lifelineFd() >= 0) {
            argv.add("--lifeline=" + LIFELINE_FD);
        }
        argv.addAll(mode);
        int[] status = Fds.pipe();
        int launcher;
        long spawned = System.nanoTime();
        try {
            Map<Integer, Integer> fds = new HashMap<>(options.stdio());
            fds.put(STATUS_FD, status[1]);
            if (options.lifelineFd() >= 0) {
                fds.put(LIFELINE_FD, options.lifelineFd());
            }
            launcher = Spawner.spawn(argv, env, fds, false);
        } finally {
            Fds.close(status[1]);
        }
        try {
            long deadline = System.nanoTime() + REPORT_TIMEOUT.toNanos();
            String line = readReport(status[0], deadline, launcher);
            long reported = System.nanoTime();
            if (line == null || !line.startsWith("ok ")) {
                throw failed(launcher, line);
            }
            if (exec) {
                // The report closes when the exec succeeded; a line after "ok" says why it did not.
                String after = readReport(status[0], deadline, launcher);
                if (after != null) {
                    throw failed(launcher, after);
                }
            }
            if (options.detach()) {
                Processes.waitFor(launcher);
            }
            return LaunchedProcess.fromReport(line, started, spawned, reported, options.detach() ? -1 : launcher);
        } finally {
            Fds.close(status[0]);
        }
    }

    private static String readReport(int fd, long deadline, int launcher) {
        try {
            return Fds.readLine(fd, deadline);
        } catch (ErrnoException e) {
            Processes.kill(launcher, Processes.SIGKILL);
            Processes.waitFor(launcher);
            throw new RestoreFailedException("the launcher did not report within " + REPORT_TIMEOUT.toSeconds() + " s");
        }
    }

    private static RestoreFailedException failed(int launcher, String line) {
        int exit = Processes.exitCode(Processes.waitFor(launcher));
        return new RestoreFailedException(line != null && line.startsWith("error ")
                ? line.substring(6)
                : "the launcher ended without a report (exit status " + exit + ")");
    }
}
