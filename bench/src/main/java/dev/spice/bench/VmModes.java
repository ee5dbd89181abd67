package dev.spice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.engine.Engine;
import dev.spice.engine.RuntimeChannel;
import dev.spice.engine.RuntimeSpec;
import dev.spice.engine.WarmUpRounds;
import dev.spice.sys.FileTrees;
import dev.spice.sys.Fds;
import dev.spice.sys.Nr;
import dev.spice.sys.Syscall;
import dev.spice.sys.proc.PageFaults;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.stream.Stream;

/**
 * The VM baseline (modes vm-cold, vm-ws and vm-hot): the function's runtime, the engine's own Python
 * shim, runs as PID 1's child in a small QEMU guest (Debian kernel and root file system from
 * scripts/vm-setup.sh) and talks the runtime protocol over a virtio-serial port. It is booted,
 * warmed up and prepared as for a Spice snapshot, then the VM is snapshotted: device state by
 * migration to a file (x-ignore-shared: RAM is not in the stream), RAM as the guest memory file
 * itself. A measurement restores it into a new QEMU with the memory file mapped private after
 * the page cache was dropped, resumes it and invokes once. vm-ws first reads the working set
 * recorded at preparation (the memory file's pages one lazy restore and invocation touched) into
 * the page cache, in file order, while QEMU loads the device state, and resumes the guest after
 * both (REAP's prefetch; REAP records faults with userfaultfd and installs the pages itself, we
 * read /proc/PID/pagemap and leave the installing to the page faults).
 */
final class VmModes {
    static final long MEMORY_BYTES = 512L << 20;
    /** Boot and imports under TCG take tens of seconds on a shared core. */
    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    /** The migration stream's fd in a restoring QEMU (migrate-incoming "fd:5"). */
    private static final int STATE_FD = 5;
    private static final int O_RDONLY_CLOEXEC = 02000000, AT_FDCWD = -100;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Engine engine;
    private final VmGuest guest;
    private final Accelerator accelerator = Accelerator.detect();
    private final Path work;
    private final int nice;

    private VmModes(Engine engine, VmGuest guest, Path work, int nice) {
        this.engine = engine;
        this.guest = guest;
        this.work = work;
        this.nice = nice;
    }

    /**
     * The runtime's "ready" or "init_error"; a runtime that ends before either (the guest lacks it:
     * Node.js and Java are not in the guest) makes the function unavailable, with the guest's last word.
     */
    private static JsonNode firstMessage(GuestVm vm, Path console) throws Unavailable, RuntimeChannel.TimeoutException {
        try {
            return vm.channel().receive(deadline(BOOT_TIMEOUT));
        } catch (RuntimeChannel.ClosedException e) {
            throw new Unavailable("the runtime ended before it was ready: " + lastUserLine(console));
        }
    }

    /** The console's last line that the kernel did not print (those start with its "[ seconds]"). */
    private static String lastUserLine(Path console) {
        try (Stream<String> lines = Files.lines(console, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.startsWith("[") && !l.isBlank()).reduce((a, b) -> b).orElse("(no output)");
        } catch (IOException | UncheckedIOException e) {
            return "(no console: " + e.getMessage() + ")";
        }
    }

    /** The function cannot run in the guest (it lacks a package): the bench skips its VM modes. */
    static final class Unavailable extends Exception {
        Unavailable(String reason) {
            super(reason);
        }
    }

    /**
     * Builds or finds the guest with scripts/vm-setup.sh (its cache directory is its last line of
     * output). SPICE_VM_NICE in the environment runs QEMU with that niceness.
     */
    static VmModes locate(Engine engine, Path spiceHome, Path work) {
        Path guest = SetupScript.run(spiceHome, "scripts/vm-setup.sh");
        int nice = Integer.parseInt(System.getenv().getOrDefault("SPICE_VM_NICE", "0"));
        try {
            return new VmModes(engine, VmGuest.in(guest), Files.createDirectories(work), nice);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + work, e);
        }
    }

    Accelerator accelerator() {
        return accelerator;
    }

    /** Boots the function's guest, warms it up, prepares and snapshots it, then records the working set. */
    Prepared prepare(BenchFunction f) throws Unavailable {
        Path dir = work.resolve(f.name());
        try {
            FileTrees.delete(dir);
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RuntimeSpec spec = engine.runtimeSpec(f.name());
        QemuCommand qemu = new QemuCommand(QEMU, accelerator, guest, CodeDisk.build(spec, dir), dir.resolve("memory"),
                MEMORY_BYTES, nice);
        Path state = dir.resolve("device-state");
        Path console = dir.resolve("console.log");
        try (GuestVm vm = GuestVm.start(qemu.boot(console), Map.of(), dir, deadline(BOOT_TIMEOUT))) {
            JsonNode hello = firstMessage(vm, console);
            if ("init_error".equals(hello.path("type").asText())) {
                throw new Unavailable(hello.path("error").path("errorType").asText() + ": "
                        + hello.path("error").path("errorMessage").asText());
            }
            expect(hello, "ready");
            WarmUpRounds.run(() -> {                     // as a deploy does
                for (JsonNode event : spec.warmup()) {
                    checked(f, invoke(vm.channel(), f.name(), event, false));
                }
            });
            vm.channel().send(RuntimeChannel.message("prepare"));
            expect(vm.channel().receive(deadline(TIMEOUT)), "prepared");
            long deadline = deadline(TIMEOUT);
            vm.qmp().execute("stop", null, deadline);
            vm.qmp().execute("migrate-set-capabilities", capabilities(), deadline);
            vm.qmp().execute("migrate", Qmp.arguments().put("uri", "exec:cat > " + state), deadline);
            awaitMigration(vm.qmp(), deadline);
            vm.qmp().execute("quit", null, deadline);
        } catch (RuntimeChannel.ClosedException | RuntimeChannel.TimeoutException e) {
            throw new IllegalStateException(f.name() + " in the VM: " + e.getMessage() + " (guest console: " + console
                    + ")");
        }
        Prepared snapshot = new Prepared(f, dir, qemu, state);
        snapshot.recordWorkingSet();
        return snapshot;
    }

    /** A VM snapshot of one function, restored once per measurement. */
    final class Prepared implements AutoCloseable {
        private final BenchFunction function;
        private final Path dir;
        private final QemuCommand qemu;
        private final Path state;
        private PageRuns workingSet;
        private long qemuColdStart;

        Prepared(BenchFunction function, Path dir, QemuCommand qemu, Path state) {
            this.function = function;
            this.dir = dir;
            this.qemu = qemu;
            this.state = state;
        }

        /** Bytes of the snapshot on disk: the memory file's allocated blocks plus the device state. */
        long imageBytes() {
            try {
                Process p = new ProcessBuilder("/usr/bin/stat", "-c", "%b", qemu.memory().toString()).start();
                long blocks = Long.parseLong(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("stat of " + qemu.memory() + " failed");
                }
                return blocks * 512 + Files.size(state);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        long workingSetPages() {
            return workingSet.pages();
        }

        /** One lazy restore from a dropped page cache and one invocation; the memory file's pages it touched. */
        /** QEMU's start from a dropped page cache until its monitor answered, at the recording. */
        long qemuColdStartNanos() {
            return qemuColdStart;
        }

        /**
         * One lazy restore from a dropped page cache and one invocation; the memory file's pages
         * it touched. Also times QEMU's start with its binary and libraries not cached.
         */
        private void recordWorkingSet() {
            SystemProbes.dropCaches();
            long start = System.nanoTime();
            try (GuestVm vm = startPaused()) {
                qemuColdStart = System.nanoTime() - start;
                SystemProbes.dropCaches();
                resume(vm, null, new long[2]);
                checked(function, invoke(vm.channel(), function.name(), event(), true));
                workingSet = PageRuns.of(GuestPages.touched(vm.pid(), qemu.memory()));
            } catch (RuntimeChannel.ClosedException | RuntimeChannel.TimeoutException e) {
                throw new IllegalStateException("the restored VM of " + function.name() + " did not answer: "
                        + e.getMessage());
            }
            workingSet.write(dir.resolve("working-set"));
            workingSet = PageRuns.read(dir.resolve("working-set"));
        }

        /**
         * Restore and first invocation. As Firecracker's restore is an API call to a VMM
         * process already started, the QEMU that restores is started (paused, waiting for the
         * device state) before the page cache is dropped and the clock starts: its start-up
         * (~0.6 s cold here, for a binary and libraries much larger than Firecracker's) is
         * reported apart. The phases go into the measurement's fields: state is the loading of
         * the device state, memory the wait for the working set's reads after that (vm-ws).
         */
        Measurement measure(Mode mode, int run) {
            engine.evictAllIdle();
            try (GuestVm vm = startPaused()) {
                if (mode.cold()) {
                    SystemProbes.dropCaches();
                } else {
                    readWhole(qemu.memory());               // vm-hot: every page of it cached
                    readWhole(state);
                }
                long diskBefore = SystemProbes.diskReadBytes();
                long start = System.nanoTime();
                long[] marks = new long[2];
                resume(vm, mode == Mode.VM_WS ? workingSet : null, marks);
                long restored = System.nanoTime();
                long[] faultsBefore = PageFaults.of(vm.pid());
                JsonNode result = invoke(vm.channel(), function.name(), event(), true);
                long answered = System.nanoTime();
                long[] faults = PageFaults.since(vm.pid(), faultsBefore);
                long diskRead = SystemProbes.diskReadBytes() - diskBefore;
                boolean verified = result.path("ok").asBoolean() && result.path("payload").path("verified").asBoolean();
                return new Measurement(function.name(), mode, run, answered - start, restored - start, 0, 0, 0,
                        marks[1] - marks[0], marks[0] - start, 0, answered - restored, SystemProbes.pss(vm.pid()),
                        diskRead, faults[0], faults[1], verified, "vm-" + accelerator.name().toLowerCase(Locale.ROOT));
            } catch (RuntimeChannel.ClosedException | RuntimeChannel.TimeoutException e) {
                throw new IllegalStateException("the restored VM of " + function.name() + " did not answer: "
                        + e.getMessage());
            }
        }

        private static void readWhole(Path file) {
            long pages = (file.toFile().length() + PageRuns.PAGE - 1) / PageRuns.PAGE;
            new PageRuns(List.of(new PageRuns.Run(0, Math.max(1, pages)))).prefetch(file);
        }

        /** A new QEMU, paused, with the state file as fd 5, waiting for migrate-incoming. */
        private GuestVm startPaused() {
            long deadline = deadline(TIMEOUT);
            int stateFd = open(state);
            GuestVm vm;
            try {
                vm = GuestVm.start(qemu.restore(), Map.of(STATE_FD, stateFd), dir, deadline);
            } finally {
                Fds.close(stateFd);
            }
            try {
                vm.qmp().execute("migrate-set-capabilities", capabilities(), deadline);
                return vm;
            } catch (RuntimeException e) {
                vm.close();
                throw e;
            }
        }

        /**
         * QEMU loads the device state while (with a working set) the working set is read into
         * the page cache; the guest resumes when both are done. {@code marks} receives the
         * times the device state was loaded and the reads were done.
         */
        private void resume(GuestVm vm, PageRuns prefetch, long[] marks) {
            long deadline = deadline(TIMEOUT);
            FutureTask<Long> reads = new FutureTask<>(() -> prefetch.prefetch(qemu.memory()));
            if (prefetch != null) {
                Thread.ofPlatform().name("vm-prefetch").start(reads);
            }
            vm.qmp().execute("migrate-incoming", Qmp.arguments().put("uri", "fd:" + STATE_FD), deadline);
            awaitMigration(vm.qmp(), deadline);
            marks[0] = System.nanoTime();
            try {
                if (prefetch != null) {
                    reads.get();
                }
            } catch (ExecutionException e) {
                throw new IllegalStateException("prefetch of the working set failed: " + e.getCause().getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            marks[1] = System.nanoTime();
            vm.qmp().execute("cont", null, deadline);
        }

        private JsonNode event() {
            try {
                return RuntimeChannel.JSON.readTree(function.event());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            try {
                FileTrees.delete(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** x-ignore-shared: RAM blocks that are shared files are left out of the stream; events: MIGRATION events. */
    private static ObjectNode capabilities() {
        ObjectNode args = Qmp.arguments();
        var caps = args.putArray("capabilities");
        caps.addObject().put("capability", "x-ignore-shared").put("state", true);
        caps.addObject().put("capability", "events").put("state", true);
        return args;
    }

    private static void awaitMigration(Qmp qmp, long deadline) {
        JsonNode e = qmp.await(m -> "MIGRATION".equals(m.path("event").asText())
                && List.of("completed", "failed", "cancelled").contains(m.path("data").path("status").asText()), deadline);
        String status = e.path("data").path("status").asText();
        if (!status.equals("completed")) {
            throw new IllegalStateException("QEMU's migration " + status + " (its errors are above)");
        }
    }

    private static int open(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call("open " + file, Nr.OPENAT, AT_FDCWD, arena.allocateFrom(file.toString()).address(),
                    O_RDONLY_CLOEXEC);
        }
    }

    /** An invoke request as the engine sends it; {@code reseed} as on the first request after a restore. */
    private static JsonNode invoke(RuntimeChannel channel, String name, JsonNode event, boolean reseed)
            throws RuntimeChannel.ClosedException, RuntimeChannel.TimeoutException {
        ObjectNode request = RuntimeChannel.message("invoke").put("request_id", UUID.randomUUID().toString())
                .put("function_name", name).put("memory_mb", 0)
                .put("deadline_ms", System.currentTimeMillis() + TIMEOUT.toMillis());
        if (reseed) {
            byte[] seed = new byte[32];
            RANDOM.nextBytes(seed);
            request.put("reseed", HexFormat.of().formatHex(seed));
        }
        request.set("event", event);
        channel.send(request);
        return channel.receive(deadline(TIMEOUT));
    }

    private static void checked(BenchFunction f, JsonNode result) {
        if (!result.path("ok").asBoolean()) {
            throw new IllegalStateException(f.name() + " failed in the VM: " + result.path("error"));
        }
    }

    private static void expect(JsonNode message, String type) {
        if (!type.equals(message.path("type").asText())) {
            throw new IllegalStateException("expected " + type + " from the guest's runtime, got " + message);
        }
    }

    private static long deadline(Duration d) {
        return System.nanoTime() + d.toNanos();
    }
}
