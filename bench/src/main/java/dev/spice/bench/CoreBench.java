package dev.spice.bench;

import dev.spice.capture.Capturer;
import dev.spice.image.Image;
import dev.spice.image.ImageReader;
import dev.spice.image.VerifiedData;
import dev.spice.restore.RestoreTimings;
import dev.spice.restore.LaunchedProcess;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.Launcher;
import dev.spice.sys.BundledExecutable;
import dev.spice.sys.LineQueue;
import dev.spice.sys.Processes;
import dev.spice.sys.Spawner;
import dev.spice.sys.StdioPipes;
import dev.spice.sys.Syscall;
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
 * Measures the core mechanism on two workloads, a python3 process with numpy and a C process
 * with 256 MiB of private memory: capture time and image size, then restore time with the image
 * in the page cache ("hot") and after dropping all caches ("cold"), as medians.
 *
 * <p>Restore time is measured from the call into {@link Launcher#restore} (validation included)
 * to the restored process running; "first answer" adds one request answered by it, which for
 * the 256 MiB process touches all of its memory. Usage: {@code CoreBench [RUNS] [WORKDIR]}.
 */
public final class CoreBench {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private record Workload(String name, List<String> argv, Map<String, String> env) {}

    private record Sample(long restoreNanos, long answerNanos, RestoreTimings timings) {}

    private CoreBench() {}

    public static void main(String[] args) throws IOException {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path dir = Files.createDirectories(Path.of(args.length > 1 ? args[1] : "/var/tmp/spice-bench"));
        Processes.becomeSubreaper();
        Path python = BundledExecutable.path(CoreBench.class, "workloads/numpy_worker.py");
        Path bigmem = BundledExecutable.path(CoreBench.class, "workloads/bigmem");
        List<Workload> workloads = List.of(
                new Workload("python3+numpy", List.of("/usr/bin/python3", python.toString()),
                        Map.of("PATH", "/usr/bin:/bin", "OPENBLAS_NUM_THREADS", "1")),
                new Workload("C 256 MiB", List.of(bigmem.toString(), "256"), Map.of("PATH", "/usr/bin:/bin")));
        System.out.printf("core benchmark: %d runs each, medians; images in %s%n%n", runs, dir);
        for (Workload w : workloads) {
            measure(w, runs, dir);
        }
    }

    private static void measure(Workload w, int runs, Path dir) {
        Path image = dir.resolve(w.name().replaceAll("[^A-Za-z0-9]+", "-") + ".img");
        List<Long> captures = new ArrayList<>();
        Capturer.Result last = null;
        String expected;
        StdioPipes pipes = new StdioPipes();
        int pid = Spawner.spawn(w.argv(), w.env(), pipes.childFds(), true);
        pipes.parentSide();
        LineQueue out = new LineQueue(pipes.stdout(), w.name());
        try {
            out.awaitPrefix("ready", TIMEOUT);
            for (int i = 0; i < runs; i++) {
                last = Capturer.capture(pid, image, true);
                captures.add(last.durationNanos());
            }
            expected = ask(pipes, out);
        } finally {
            Processes.kill(pid, Processes.SIGKILL);
            Processes.waitFor(pid);
            pipes.close();
        }
        System.out.printf("%s: capture %.1f ms (leave-running), image %.1f MiB, %d pages stored, %d mappings%n",
                w.name(), median(captures) / 1e6, last.imageBytes() / 1048576.0, last.storedPages(), last.mappings());
        restoreOnce(image, expected);                               // first use: JIT, page cache
        for (String mode : List.of("hot", "cold")) {
            List<Sample> samples = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                if (mode.equals("cold")) {
                    dropCaches();
                }
                samples.add(restoreOnce(image, expected));
            }
            System.out.printf("  restore %-4s: running after %7.2f ms, first answer after %8.2f ms;"
                    + " phases: validation %.2f, spawn %.2f, namespaces %.2f, init %.2f, address space %.2f,"
                    + " memory %.2f, state %.2f, report %.2f ms%n",
                    mode, med(samples, Sample::restoreNanos), med(samples, Sample::answerNanos),
                    med(samples, s -> s.timings().validation()), med(samples, s -> s.timings().spawn()),
                    med(samples, s -> s.timings().namespaces()), med(samples, s -> s.timings().init()), med(samples, s -> s.timings().addressSpace()),
                    med(samples, s -> s.timings().memory()), med(samples, s -> s.timings().state()),
                    med(samples, s -> s.timings().report()));
        }
        measureChecksums(image, expected, runs);
        System.out.println();
    }

    /**
     * What checking the page data costs (docs/faults.md): the check itself with the image in the
     * page cache and read from disk (capture runs it hot, on the file it just wrote), and the
     * validation phase of the first restore of a new file without and with the writer's stamp.
     */
    private static void measureChecksums(Path image, String expected, int runs) {
        List<Long> hot = new ArrayList<>(), cold = new ArrayList<>();
        List<Sample> unstamped = new ArrayList<>(), stamped = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Image read = ImageReader.read(image);
            long start = System.nanoTime();
            ImageReader.verifyData(read);
            hot.add(System.nanoTime() - start);
            dropCaches();
            start = System.nanoTime();
            ImageReader.verifyData(read);
            cold.add(System.nanoTime() - start);
            Path copy = image.resolveSibling("copy-" + image.getFileName());
            unstamped.add(restoreOnce(copied(image, copy), expected));        // a copy has no xattr
            VerifiedData.ensure(ImageReader.read(copied(image, copy)));       // stamped as a writer does
            stamped.add(restoreOnce(copy, expected));
        }
        System.out.printf("  page-data check: %.2f ms hot, %.2f ms from disk; validation of a new file at its first"
                + " restore: %.2f ms unstamped, %.2f ms stamped%n", median(hot) / 1e6, median(cold) / 1e6,
                med(unstamped, s -> s.timings().validation()), med(stamped, s -> s.timings().validation()));
    }

    /** {@code image} copied to {@code copy} as a new file (new inode, no extended attributes). */
    private static Path copied(Path image, Path copy) {
        try {
            Files.deleteIfExists(copy);
            return Files.copy(image, copy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Sample restoreOnce(Path image, String expected) {
        StdioPipes pipes = new StdioPipes();
        long start = System.nanoTime();
        LaunchedProcess p = Launcher.restore(image, LaunchOptions.attached(pipes.childFds()));
        long running = System.nanoTime();
        pipes.parentSide();
        try {
            String answer = ask(pipes, new LineQueue(pipes.stdout(), "restored"));
            long answered = System.nanoTime();
            if (!answer.equals(expected)) {
                throw new IllegalStateException("restored process answered " + answer + ", expected " + expected);
            }
            return new Sample(running - start, answered - start, p.timings());
        } finally {
            p.kill();
            p.waitFor();
            pipes.close();
        }
    }

    private static String ask(StdioPipes pipes, LineQueue out) {
        try {
            pipes.stdin().write("request\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String line = out.next(TIMEOUT);
        if (line == null) {
            throw new IllegalStateException("the workload ended without answering");
        }
        return line;
    }

    /** sync, then drop the page cache, dentries and inodes: the next restore reads from disk. */
    private static void dropCaches() {
        Syscall.call("sync", 162);
        try {
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot drop caches (needs root)", e);
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
