package dev.spice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.image.ImageContents;
import dev.spice.image.ImageReader;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WsRange;
import dev.spice.image.VmaKind;
import dev.spice.restore.Prefetch;
import dev.spice.sys.Fds;
import dev.spice.sys.Nr;
import dev.spice.sys.Syscall;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.Random;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deployment records its working set and lays its image out by it; the same image then restores
 * correctly with every prefetch mode, and prefetching removes the first invocation's page faults,
 * whether the image is read from the disk (its pages dropped from the page cache first) or is
 * already cached (then only the written pages are populated).
 */
class PrefetchTest {
    @TempDir
    Path state;

    @Test
    void everyPrefetchModeRestoresTheReorderedImageAndFullPrefetchAvoidsFaults() throws Exception {
        try (Engine deployer = Engine.open(EngineConfig.defaults(state))) {
            FunctionInfo info = deployer.deploy(EngineTest.HELLO);
            assertThat(info.snapshot()).as(info.snapshotProblem()).isNotNull();
            assertThat(info.snapshot().workingSetPages()).isPositive();
            assertThat(info.snapshot().workingSetWrittenPages()).isPositive()
                    .isLessThanOrEqualTo(info.snapshot().workingSetPages());
        }
        Path image = state.resolve("functions/hello/current/snapshot.img");
        Map<Prefetch, Long> minorFaults = new EnumMap<>(Prefetch.class);
        for (Prefetch mode : new Prefetch[] {Prefetch.NONE, Prefetch.READ, Prefetch.FULL}) {
            Fds.dropCachedPages(image);
            minorFaults.put(mode, restoreAndInvoke(mode));
        }
        long hotFull = restoreAndInvoke(Prefetch.FULL);   // the image is cached now
        String faults = minorFaults + ", hot FULL=" + hotFull;
        // Populating the working set leaves the handler a small fraction of the faults of lazy mapping.
        assertThat(minorFaults.get(Prefetch.FULL) * 4).as(faults).isLessThan(minorFaults.get(Prefetch.NONE));
        assertThat(minorFaults.get(Prefetch.READ)).as(faults).isLessThan(minorFaults.get(Prefetch.NONE));
        // Hot, the written pages are still copied ahead; the read ones fault in 16 at a time.
        assertThat(hotFull * 2).as(faults).isLessThan(minorFaults.get(Prefetch.NONE));
    }

    /**
     * A restore whose image lacks only a page of the working set (as when the machine reclaims
     * idle page cache proactively) is still a hot one: no mapping is set to random reads
     * (MADV_RANDOM shows as "rr" in smaps), which only a cold restore does, and it answers.
     */
    @Test
    void aPageMissingFromTheCacheLeavesTheRestoreHot() throws Exception {
        try (Engine deployer = Engine.open(EngineConfig.defaults(state))) {
            assertThat(deployer.deploy(EngineTest.HELLO).snapshot()).isNotNull();
        }
        Path image = state.resolve("functions/hello/current/snapshot.img");
        long firstStored = ImageReader.read(image).contents().workingSet().dataOffset();
        Fds.dropCachedPages(image);
        assertThat(randomReadMappingsAfterARestore("cold")).as("cold: read-around off").isPositive();
        Fds.dropCachedPages(image);
        cachePageByPage(image);                                   // hot again...
        Fds.dropCachedPages(image, firstStored, 4096);            // ...but for one page of the working set
        assertThat(randomReadMappingsAfterARestore("one page missing")).isZero();
    }

    /** Reads the file into the page cache one page at a time (no read-around), so each page can be dropped alone. */
    private static void cachePageByPage(Path file) throws Exception {
        int fd = Fds.openReadOnly(file.toString());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(4096);
            Syscall.call("fadvise64", Nr.FADVISE64, fd, 0, 0, 1);   // POSIX_FADV_RANDOM
            for (long at = 0; at < Files.size(file); at += 4096) {
                Syscall.call("pread64", Nr.PREAD64, fd, page.address(), 4096, at);
            }
        } finally {
            Fds.close(fd);
        }
    }

    /** Restores hello and invokes it; how many of the instance's mappings have MADV_RANDOM set. */
    private long randomReadMappingsAfterARestore(String name) throws Exception {
        try (Engine e = Engine.open(EngineConfig.defaults(state))) {
            InvocationResult r = e.invoke("hello", ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8),
                    new InvokeOptions(true));
            assertThat(r.errorType()).as(r.log()).isNull();
            assertThat(EngineTest.json(r).get("message").asText()).isEqualTo("Hello, " + name + "!");
            try (var lines = Files.lines(Path.of("/proc", Integer.toString(r.instancePid()), "smaps"))) {
                return lines.filter(l -> l.startsWith("VmFlags:") && l.contains(" rr")).count();
            }
        }
    }

    /**
     * A file that stays in the page cache (mapped by the deploy's own instance, as a library used by other
     * processes is) and of which each invocation reads one page: the recorded working set holds
     * that page, not the 15 cached neighbours fault-around would map with it.
     */
    @Test
    void theRecordedWorkingSetHoldsOnlyTheFilePagesTouched(@TempDir Path code) throws Exception {
        int pages = 64, page = 4096;
        byte[] bytes = new byte[pages * page];
        new Random(1).nextBytes(bytes);
        Files.write(code.resolve("pages.bin"), bytes);       // in the code: the sandbox shows nothing else
        Files.writeString(code.resolve("spice.yaml"), "name: pages\nruntime: python3\nhandler: app.handler\n");
        Files.writeString(code.resolve("app.py"), """
                import mmap, os
                with open(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "pages.bin"), "rb") as f:
                    PAGES = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
                TOTAL = sum(PAGES[i * 4096] for i in range(64))

                def handler(event, context):
                    return PAGES[20 * 4096]
                """);
        // The deploy's own instance stays (as in a server) and keeps every page of the file mapped and cached.
        try (Engine e = Engine.open(EngineConfig.defaults(state).withKeepDeployed(true))) {
            FunctionInfo info = e.deploy(code);
            assertThat(info.snapshot()).as(info.snapshotProblem()).isNotNull();
            String file = state.resolve("functions/pages/current/code/pages.bin").toRealPath().toString();
            ImageContents image = ImageReader.read(state.resolve("functions/pages/current/snapshot.img")).contents();
            VmaRecord mapping = image.vmas().stream()
                    .filter(v -> v.kind() == VmaKind.FILE && image.files().get(v.file()).path().equals(file))
                    .findFirst().orElseThrow();
            long recorded = 0;
            for (WsRange r : image.workingSet().ranges()) {
                recorded += Math.max(0, Math.min(r.end(), mapping.end()) - Math.max(r.start(), mapping.start())) / page;
            }
            assertThat(recorded).as("pages of %s in the working set", file).isEqualTo(1);
        }
    }

    private long restoreAndInvoke(Prefetch mode) throws Exception {
        try (Engine e = Engine.open(EngineConfig.defaults(state).withWorkingSet(true, mode))) {
            String name = mode.name().toLowerCase();
            InvocationResult r = e.invoke("hello", ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8),
                    new InvokeOptions(true));
            assertThat(r.errorType()).as(r.log()).isNull();
            assertThat(r.path()).isEqualTo(InvocationPath.RESTORED);
            assertThat(EngineTest.json(r).get("message").asText()).isEqualTo("Hello, " + name + "!");
            assertThat(r.timings().minorFaults()).isNotNegative();
            return r.timings().minorFaults();
        }
    }
}
