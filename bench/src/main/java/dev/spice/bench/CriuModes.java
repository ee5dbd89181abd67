package dev.spice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.engine.Engine;
import dev.spice.engine.RuntimeChannel;
import dev.spice.engine.RuntimeSpec;
import dev.spice.engine.WarmUpRounds;
import dev.spice.sys.FileTrees;
import dev.spice.sys.Fds;
import dev.spice.sys.Processes;
import dev.spice.sys.Spawner;
import dev.spice.sys.proc.PageFaults;
import dev.spice.sys.proc.ProcFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The CRIU modes: the same runtime, started the same way and prepared the same way (warm-up
 * events, then prepare), is dumped with {@code criu dump}; each measurement is {@code criu restore
 * -d} plus the first invocation. CRIU gets its fair best: version 4.2.1 (Debian's 3.17 fails on
 * this kernel), its kernel-feature cache on a tmpfs, restore in the host PID namespace (it cannot
 * restore a process of a nested namespace without its init). The channel is two pipes (CRIU
 * cannot dump a stream socket whose peer is outside the dump), handed to the restored process
 * with --inherit-fd.
 */
final class CriuModes {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private final Path criu;
    private final Engine engine;
    private final Path work;

    private CriuModes(Path criu, Engine engine, Path work) {
        this.criu = criu;
        this.engine = engine;
        this.work = work;
    }

    /** Builds or finds CRIU 4.2.1 with bench/criu/setup-criu.sh (the path is its last line of output). */
    static CriuModes locate(Engine engine, Path spiceHome, Path work) {
        Path criu = SetupScript.run(spiceHome, "bench/criu/setup-criu.sh");
        Processes.becomeSubreaper();        // criu restore -d leaves the restored process to us
        try {
            return new CriuModes(criu, engine, Files.createDirectories(work));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + work, e);
        }
    }

    /** Boots, warms up and prepares the function's runtime, then dumps it. */
    Prepared prepare(BenchFunction f) {
        RuntimeSpec spec = engine.runtimeSpec(f.name());
        Map<String, String> env = new HashMap<>(spec.env());
        env.put("SPICE_RESPONSE_FD", "1");
        int[] requests = Fds.pipe();
        int[] responses = Fds.pipe();
        int[] log = Fds.pipe();
        int pid = Spawner.spawn(spec.argv(), env, Map.of(0, requests[0], 1, responses[1], 2, log[1]), true,
                spec.codeDir());
        for (int fd : new int[] {requests[0], responses[1], log[1]}) {
            Fds.close(fd);
        }
        Fds.close(log[0]);
        Path images = work.resolve(f.name());
        try (RuntimeChannel channel = new RuntimeChannel(responses[0], requests[1])) {
            expect(channel.receive(deadline()), "ready");
            WarmUpRounds.run(() -> {                     // as a deploy does
                for (JsonNode event : spec.warmup()) {
                    invoke(channel, f.name(), event);
                }
            });
            channel.send(RuntimeChannel.message("prepare"));
            expect(channel.receive(deadline()), "prepared");
            List<String> links = new ArrayList<>();
            for (int fd = 0; fd < 3; fd++) {
                links.add(ProcFiles.readLink(pid, "fd/" + fd));
            }
            FileTrees.delete(images);
            Files.createDirectories(images);
            run(List.of(criu.toString(), "dump", "--no-default-config", "-t", Integer.toString(pid), "-D",
                    images.toString(), "-o", "dump.log"), Map.of(), "dump of " + f.name());
            Processes.waitFor(pid);
            return new Prepared(f, pid, images, links);
        } catch (RuntimeChannel.ClosedException | RuntimeChannel.TimeoutException e) {
            Processes.kill(pid, Processes.SIGKILL);
            Processes.waitFor(pid);
            throw new IllegalStateException(f.name() + " under CRIU: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A dump of one function, restored once per measurement. */
    final class Prepared implements AutoCloseable {
        private final BenchFunction function;
        private final int pid;
        private final Path images;
        private final List<String> links;

        Prepared(BenchFunction function, int pid, Path images, List<String> links) {
            this.function = function;
            this.pid = pid;
            this.images = images;
            this.links = links;
        }

        long imageBytes() {
            try (Stream<Path> files = Files.list(images)) {
                return files.filter(p -> p.getFileName().toString().endsWith(".img")).mapToLong(p -> p.toFile().length())
                        .sum();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Measurement measure(Mode mode, int run) {
            if (mode.cold()) {
                engine.evictAllIdle();
                SystemProbes.dropCaches();
            }
            int[] requests = Fds.pipe();
            int[] responses = Fds.pipe();
            int[] log = Fds.pipe();
            List<String> argv = new ArrayList<>(List.of(criu.toString(), "restore", "--no-default-config", "-D",
                    images.toString(), "-d", "-o", "restore.log"));
            int[] theirs = {requests[0], responses[1], log[1]};
            Map<Integer, Integer> fds = new HashMap<>();
            for (int i = 0; i < 3; i++) {
                fds.put(3 + i, theirs[i]);
                argv.add("--inherit-fd");
                argv.add("fd[" + (3 + i) + "]:" + links.get(i));
            }
            long diskBefore = SystemProbes.diskReadBytes();
            long start = System.nanoTime();
            run(argv, fds, "restore of " + function.name());
            long restored = System.nanoTime();
            for (int fd : theirs) {
                Fds.close(fd);
            }
            Fds.close(log[0]);
            try (RuntimeChannel channel = new RuntimeChannel(responses[0], requests[1])) {
                long[] faultsBefore = PageFaults.of(pid);
                JsonNode result = invoke(channel, function.name(), RuntimeChannel.JSON.readTree(function.event()));
                long answered = System.nanoTime();
                long[] faults = PageFaults.since(pid, faultsBefore);
                long diskRead = SystemProbes.diskReadBytes() - diskBefore;
                long pss = SystemProbes.pss(pid);
                boolean verified = result.path("ok").asBoolean() && result.path("payload").path("verified").asBoolean();
                return new Measurement(function.name(), mode, run, answered - start, restored - start, 0, 0, 0, 0, 0, 0,
                        answered - restored, pss, mode.cold() ? diskRead : 0, faults[0], faults[1], verified, "criu");
            } catch (RuntimeChannel.ClosedException | RuntimeChannel.TimeoutException e) {
                throw new IllegalStateException("the CRIU-restored " + function.name() + " did not answer: "
                        + e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                end();
            }
        }

        /** Kills the restored process and reaps it: the next restore needs its PID free. */
        private void end() {
            Processes.kill(pid, Processes.SIGKILL);
            try {
                Processes.waitFor(pid);
            } catch (RuntimeException e) {
                // not our child after all: wait until it is gone
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (Processes.alive(pid) && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            }
        }

        @Override
        public void close() {
            try {
                FileTrees.delete(images);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static JsonNode invoke(RuntimeChannel channel, String name, JsonNode event)
            throws RuntimeChannel.ClosedException, RuntimeChannel.TimeoutException {
        ObjectNode request = RuntimeChannel.message("invoke").put("request_id", UUID.randomUUID().toString())
                .put("function_name", name).put("memory_mb", 0)
                .put("deadline_ms", System.currentTimeMillis() + TIMEOUT.toMillis());
        request.set("event", event);
        channel.send(request);
        return channel.receive(deadline());
    }

    private static void expect(JsonNode message, String type) {
        if (!type.equals(message.path("type").asText())) {
            throw new IllegalStateException("expected " + type + " from the runtime, got " + message);
        }
    }

    private static long deadline() {
        return System.nanoTime() + TIMEOUT.toNanos();
    }

    /** Runs criu to completion; its log names the reason when it fails. */
    private void run(List<String> argv, Map<Integer, Integer> fds, String what) {
        int pid = Spawner.spawn(argv, Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), fds, false, work);
        int exit = Processes.exitCode(Processes.waitFor(pid));
        if (exit != 0) {
            throw new IllegalStateException("criu " + what + " failed with exit status " + exit + " (see the log in "
                    + work + ")");
        }
    }
}
