package dev.spice.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.FileRecord;
import dev.spice.image.Records.Itimer;
import dev.spice.image.Records.MmLayout;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.ProcessRecord;
import dev.spice.image.Records.Rlimit;
import dev.spice.image.Records.Sigaction;
import dev.spice.image.Records.ThreadRecord;
import dev.spice.image.Records.VmaRecord;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/** Image contents with a distinctive value in every field, and helpers to compare them. */
final class TestImages {
    static final long PAGE = ImageFormat.PAGE_SIZE;
    static final long HEAP = 0x5555_0000_0000L;
    static final long LIB = 0x7f12_3400_0000L;
    static final long STACK = 0x7ffc_0000_0000L;

    private TestImages() {}

    static ProcessRecord process(int pid) {
        MmLayout mm = new MmLayout(0x40_0000L, 0x40_1000L, 0x60_0000L, 0x60_2000L, HEAP, HEAP + 0x2_1000L,
                STACK + 0x1f000L, STACK + 0x1f100L, STACK + 0x1f180L, STACK + 0x1f180L, STACK + 0x1fff0L);
        return new ProcessRecord(pid, 4242, 4243, 4244, new int[] {1000, 1001, 1002, 0xFFFF_FFFE},
                new int[] {2000, 2001, 2002, 2003}, 0027, 0x0040_0000, "worker-ü", "/srv/app dir/ü", 0, mm,
                LIB + 0x1234L, 50_000L, 1, 15, true, false, true, 2,
                List.of(new Itimer(1, 2, 3, 4), new Itimer(5, 999_999, 7, 8),
                        new Itimer(Long.MAX_VALUE, 0, 0, -1)));
    }

    static ThreadRecord thread(int tid, int xstateBytes) {
        long[] regs = IntStream.range(0, 27).mapToLong(i -> 0x1111_1111_1111_1111L * (i % 15) + i + tid).toArray();
        byte[] xstate = new byte[xstateBytes];
        for (int i = 0; i < xstate.length; i++) {
            xstate[i] = (byte) (i * 7 + tid);
        }
        return new ThreadRecord(tid, regs, 0x8000_0000_0000_0002L, STACK - 0x10000L, 0x8000L, 2,
                0x7f00_dead_0000L + tid, 32, 0x53053053, 0, 0x7f00_beef_0000L + tid, 24, 0x7f00_cafe_0000L + tid,
                tid == 101 ? 35 : -1, xstate, "worker-" + tid);
    }

    static List<FileRecord> files() {
        return List.of(
                new FileRecord("/usr/bin/worker", 0100755, 254, 0, 260386L, 123_456L, 1_700_000_000L, 999_999_999,
                        ImageFormat.CHECK_IDENTITY | ImageFormat.CHECK_CONTENT),
                new FileRecord("/usr/lib/x86_64-linux-gnu/libc.so.6", 0100644, 0x103, 0x2ff, 0xFFFF_FFFF_0001L,
                        2_000_000L, -5L, 1, ImageFormat.CHECK_CONTENT),
                new FileRecord("/var/log/work log.txt", 0100600, 8, 1, 77L, 0L, 0L, 0, ImageFormat.CHECK_IDENTITY));
    }

    static List<FdRecord> fds() {
        return List.of(new FdRecord(0, FdKind.STDIO, 0, ImageFormat.NONE, 0),
                new FdRecord(1, FdKind.STDIO, 01, ImageFormat.NONE, 0),
                new FdRecord(3, FdKind.FILE, 02100000, 1, 0),
                new FdRecord(17, FdKind.FILE, 02102001, 2, 0x1_0000_0001L));
    }

    static List<Sigaction> sigactions() {
        return IntStream.range(0, ImageFormat.SIGNALS)
                .mapToObj(i -> i % 5 == 0 ? Sigaction.DEFAULT
                        : new Sigaction(LIB + 0x100L * i, 0x0400_0000L | i, LIB + 0x9990L, 1L << i))
                .toList();
    }

    static List<Rlimit> rlimits() {
        return IntStream.range(0, ImageFormat.RLIMITS)
                .mapToObj(i -> i % 3 == 0 ? new Rlimit(-1, -1) : new Rlimit(1000L * i, 1000L * i + 7))
                .toList();
    }

    /**
     * Contents with a heap (the given runs), an unnamed anonymous mapping without runs, a
     * named anonymous mapping, a file mapping, the vDSO and a stack.
     */
    static ImageContents contents(int pid, List<PageRun> heapRuns) {
        long heapEnd = HEAP + Math.max(1, heapRuns.size()) * PAGE * 4;
        List<VmaRecord> vmas = List.of(
                new VmaRecord(HEAP, heapEnd, 0, VmaKind.ANON, 3, 0, ImageFormat.ADV_HUGEPAGE, ImageFormat.NONE, null,
                        0, heapRuns.size()),
                new VmaRecord(LIB - 0x10_0000L, LIB - 0x8_0000L, 0, VmaKind.ANON, 0, 0, 0, ImageFormat.NONE, "", 0, 0),
                new VmaRecord(LIB - 0x4000L, LIB, 0, VmaKind.SHARED_ANON, 3, ImageFormat.VMA_F_SHARED,
                        ImageFormat.ADV_DONTFORK | ImageFormat.ADV_WIPEONFORK, ImageFormat.NONE, "jit cache ü", 0, 0),
                new VmaRecord(LIB, LIB + 0x20_0000L, 0x2_8000L, VmaKind.FILE, 5, 0, ImageFormat.ADV_NOHUGEPAGE, 1,
                        null, heapRuns.size(), 0),
                new VmaRecord(STACK - 0x3000L, STACK - 0x1000L, 0, VmaKind.VVAR, 1, 0, ImageFormat.ADV_DONTDUMP,
                        ImageFormat.NONE, null, heapRuns.size(), 0),
                new VmaRecord(STACK - 0x1000L, STACK, 0, VmaKind.VDSO, 5, 0, ImageFormat.ADV_DONTDUMP,
                        ImageFormat.NONE, null, heapRuns.size(), 0),
                new VmaRecord(STACK, STACK + 0x2_0000L, 0, VmaKind.ANON, 3,
                        ImageFormat.VMA_F_GROWSDOWN | ImageFormat.VMA_F_STACK, 0, ImageFormat.NONE, null,
                        heapRuns.size(), 0));
        return new ImageContents(process(pid), List.of(thread(pid, 832), thread(101, 20)), vmas, heapRuns, files(),
                fds(), new long[] {33, LIB - 0x4000L, 6, 4096, 25, STACK + 0x1f200L, 0, 0}, sigactions(), rlimits(),
                new int[] {4, 24, 27, 0xFFFF_FFF0});
    }

    /** Appends {@code count} runs of 1-3 pages to the heap; each page is stamped with its run and index. */
    static List<PageRun> appendHeapRuns(ImageWriter writer, int count) {
        List<PageRun> runs = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (int r = 0; r < count; r++) {
                long pages = 1 + r % 3;
                MemorySegment data = arena.allocate(pages * PAGE, PAGE);
                fill(data, r);
                runs.add(new PageRun(HEAP + r * PAGE * 4, pages, writer.appendPages(data)));
            }
        }
        return runs;
    }

    /** The bytes {@link #appendHeapRuns} wrote for run {@code r}. */
    static byte[] expectedRun(int r) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate((1 + r % 3) * PAGE, PAGE);
            fill(data, r);
            return data.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static void fill(MemorySegment data, int run) {
        for (long i = 0; i < data.byteSize(); i++) {
            data.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + run * 7 + i / PAGE));
        }
        data.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0x5EED_0000 | run);
    }

    /** Asserts that every field of {@code actual} equals that of {@code expected}. */
    static void assertSameContents(ImageContents actual, ImageContents expected) {
        ProcessRecord p = actual.process(), e = expected.process();
        assertThat(p.uid()).containsExactly(e.uid());
        assertThat(p.gid()).containsExactly(e.gid());
        assertThat(p.comm()).isEqualTo(e.comm());
        assertThat(p.cwd()).isEqualTo(e.cwd());
        assertThat(p.mm()).isEqualTo(e.mm());
        assertThat(p.itimers()).containsExactlyElementsOf(e.itimers());
        assertThat(p).usingRecursiveComparison().isEqualTo(e);

        assertThat(actual.threads()).hasSameSizeAs(expected.threads());
        for (int i = 0; i < expected.threads().size(); i++) {
            ThreadRecord t = actual.threads().get(i), x = expected.threads().get(i);
            assertThat(t.regs()).containsExactly(x.regs());
            assertThat(t.xstate()).containsExactly(x.xstate());
            assertThat(t).usingRecursiveComparison().isEqualTo(x);
        }
        assertThat(actual.vmas()).containsExactlyElementsOf(expected.vmas());
        assertThat(actual.runs()).containsExactlyElementsOf(expected.runs());
        assertThat(actual.files()).containsExactlyElementsOf(expected.files());
        assertThat(actual.fds()).containsExactlyElementsOf(expected.fds());
        assertThat(actual.auxv()).containsExactly(expected.auxv());
        assertThat(actual.sigactions()).containsExactlyElementsOf(expected.sigactions());
        assertThat(actual.rlimits()).containsExactlyElementsOf(expected.rlimits());
        assertThat(actual.groups()).containsExactly(expected.groups());
        assertThat(actual.seccomp()).hasSameSizeAs(expected.seccomp());
    }

    static Path imagePath(Path dir) {
        return dir.resolve("proc.spice");
    }
}
