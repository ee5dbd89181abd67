package dev.spice.restore;

import dev.spice.image.Image;
import dev.spice.image.ImageReader;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.Fds;
import dev.spice.sys.Processes;
import dev.spice.sys.Spawner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Restores images: validates one completely, then starts the freestanding restorer, which
 * creates the namespaces and rebuilds the process from inside (docs/architecture.md), and
 * reads its one-line report.
 */
public final class Restorer {
    /** The restorer's report arrives on this descriptor. */
    private static final int STATUS_FD = 3;
    private static final Duration REPORT_TIMEOUT = Duration.ofSeconds(60);

    private Restorer() {}

    /**
     * Restores {@code image}. {@code stdio} maps descriptors 0-2 of the restored process to ours
     * (missing ones are inherited). With {@code detach} the launcher does not stay to report the
     * process's exit.
     */
    public static RestoredProcess restore(Path image, Map<Integer, Integer> stdio, boolean detach) {
        long started = System.nanoTime();
        Image img = ImageReader.read(image);
        ImageValidator.validate(img.contents());
        return launch(img.path().toAbsolutePath(), stdio, detach, started);
    }

    private static RestoredProcess launch(Path image, Map<Integer, Integer> stdio, boolean detach, long started) {
        List<String> argv = detach
                ? List.of(RestorerBinary.path().toString(), image.toString(), Integer.toString(STATUS_FD), "detach")
                : List.of(RestorerBinary.path().toString(), image.toString(), Integer.toString(STATUS_FD));
        int[] status = Fds.pipe();
        int launcher;
        long spawned = System.nanoTime();
        try {
            Map<Integer, Integer> fds = new HashMap<>(stdio);
            fds.put(STATUS_FD, status[1]);
            launcher = Spawner.spawn(argv, Map.of(), fds, false);
        } finally {
            Fds.close(status[1]);
        }
        String line;
        try {
            line = Fds.readLine(status[0], System.nanoTime() + REPORT_TIMEOUT.toNanos());
        } catch (ErrnoException e) {
            Processes.kill(launcher, Processes.SIGKILL);
            Processes.waitFor(launcher);
            throw new RestoreFailedException("the restorer did not report within " + REPORT_TIMEOUT.toSeconds() + " s");
        } finally {
            Fds.close(status[0]);
        }
        long reported = System.nanoTime();
        if (line == null || !line.startsWith("ok ")) {
            int exit = Processes.exitCode(Processes.waitFor(launcher));
            throw new RestoreFailedException(line != null && line.startsWith("error ")
                    ? line.substring(6)
                    : "the restorer ended without a report (exit status " + exit + ")");
        }
        if (detach) {
            Processes.waitFor(launcher);
        }
        String[] f = line.split(" ");
        long launch = Long.parseLong(f[3]), init = Long.parseLong(f[4]), t0 = Long.parseLong(f[5]),
                t1 = Long.parseLong(f[6]), t2 = Long.parseLong(f[7]), t3 = Long.parseLong(f[8]);
        RestoreTimings timings = new RestoreTimings(spawned - started, launch - spawned, init - launch, t0 - init,
                t1 - t0, t2 - t1, t3 - t2, reported - t3);
        return new RestoredProcess(Integer.parseInt(f[1]), Integer.parseInt(f[2]), detach ? -1 : launcher, timings);
    }
}
