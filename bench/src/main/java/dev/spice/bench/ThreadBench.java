package dev.spice.bench;

import dev.spice.capture.Capturer;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.LaunchedProcess;
import dev.spice.restore.Launcher;
import dev.spice.restore.RestoreTimings;
import dev.spice.sys.BundledExecutable;
import dev.spice.sys.LineQueue;
import dev.spice.sys.Processes;
import dev.spice.sys.Spawner;
import dev.spice.sys.StdioPipes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Restore time against the number of threads: a C process of 1, 4, 16 and 64 threads (all but the
 * main one parked in pthread_cond_wait; bench/src/main/c/threaded.c) is captured (leave-running),
 * then restored with its image in the page cache, as medians: until the restored process runs,
 * until its first answer (every thread woken once), and the restorer's state phase, which holds
 * the threads' creation and their own state. Usage: {@code ThreadBench [RUNS] [WORKDIR]}.
 */
public final class ThreadBench {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int[] THREADS = {1, 4, 16, 64};

    private record Sample(long restoreNanos, long answerNanos, RestoreTimings timings) {}

    private ThreadBench() {}

    public static void main(String[] args) throws IOException {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path dir = Files.createDirectories(Path.of(args.length > 1 ? args[1] : "/var/tmp/spice-bench"));
        Processes.becomeSubreaper();
        Path program = BundledExecutable.path(ThreadBench.class, "workloads/threaded");
        System.out.printf("thread benchmark: %d hot restores each, medians; images in %s%n", runs, dir);
        System.out.printf("%8s %11s %11s %13s %12s %10s%n", "threads", "capture ms", "running ms", "1st answer ms",
                "state ms", "image KiB");
        CpuSteal start = CpuSteal.now();
        for (int n : THREADS) {
            measure(program, n, runs, dir);
        }
        // Other work on the machine shows in these numbers: every thread must be scheduled to restore itself.
        System.out.printf("machine: %d CPUs, load average %s, %.1f%% of CPU time stolen by the hypervisor%n",
                SystemProbes.cpus(), Files.readString(Path.of("/proc/loadavg")).split(" ")[0], CpuSteal.now().percentSince(start));
    }

    private static void measure(Path program, int threads, int runs, Path dir) {
        Path image = dir.resolve("threads-" + threads + ".img");
        StdioPipes pipes = new StdioPipes();
        int pid = Spawner.spawn(List.of(program.toString(), Integer.toString(threads)), Map.of("PATH", "/usr/bin:/bin"),
                pipes.childFds(), true);
        pipes.parentSide();
        List<Long> captures = new ArrayList<>();
        Capturer.Result last = null;
        try {
            new LineQueue(pipes.stdout(), "threaded").awaitPrefix("ready", TIMEOUT);
            for (int i = 0; i < Math.max(3, runs / 4); i++) {
                last = Capturer.capture(pid, image, true);
                captures.add(last.durationNanos());
            }
        } finally {
            Processes.kill(pid, Processes.SIGKILL);
            Processes.waitFor(pid);
            pipes.close();
        }
        restoreOnce(image, threads);                                // first use: JIT, page cache
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            samples.add(restoreOnce(image, threads));
        }
        System.out.printf("%8d %11.2f %11.2f %13.2f %12.2f %10d%n", threads, median(captures) / 1e6,
                med(samples, Sample::restoreNanos), med(samples, Sample::answerNanos),
                med(samples, s -> s.timings().state()), last.imageBytes() / 1024);
    }

    private static Sample restoreOnce(Path image, int threads) {
        StdioPipes pipes = new StdioPipes();
        long start = System.nanoTime();
        LaunchedProcess p = Launcher.restore(image, LaunchOptions.attached(pipes.childFds()));
        long running = System.nanoTime();
        pipes.parentSide();
        try {
            pipes.stdin().write("request\n".getBytes(StandardCharsets.UTF_8));
            String answer = new LineQueue(pipes.stdout(), "restored").next(TIMEOUT);
            long answered = System.nanoTime();
            String expected = "round 1 counter " + (threads - 1);
            if (!expected.equals(answer)) {
                throw new IllegalStateException("restored process answered " + answer + ", expected " + expected);
            }
            return new Sample(running - start, answered - start, p.timings());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            p.kill();
            p.waitFor();
            pipes.close();
        }
    }

    private static double med(List<Sample> samples, ToLongFunction<Sample> f) {
        return median(samples.stream().map(s -> f.applyAsLong(s)).toList()) / 1e6;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
