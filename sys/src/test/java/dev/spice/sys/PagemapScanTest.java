package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.spice.sys.PagemapScan.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PagemapScanTest {
    private static final int PAGE = 4096, PAGES = 64;
    private static final long MADV_NOHUGEPAGE = 14;
    private static final int PID = (int) ProcessHandle.current().pid();

    private static List<Region> present(long start, long end) {
        try (PagemapScan scan = new PagemapScan(PID)) {
            return scan.scan(start, end, PagemapScan.PRESENT, PagemapScan.PRESENT);
        }
    }

    @Test
    void touchedSegmentIsPresent() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pages = arena.allocate((long) PAGES * PAGE, PAGE);
            for (int i = 0; i < PAGES; i++) {
                pages.set(JAVA_BYTE, (long) i * PAGE, (byte) (i + 1));
            }

            List<Region> regions = present(pages.address(), pages.address() + pages.byteSize());

            assertThat(regions).allSatisfy(r -> assertThat(r.is(PagemapScan.PRESENT)).isTrue());
            assertThat(regions.stream().mapToLong(r -> r.end() - r.start()).sum()).isEqualTo(pages.byteSize());
            assertThat(regions.getFirst().start()).isEqualTo(pages.address());
            assertThat(regions.getLast().end()).isEqualTo(pages.address() + pages.byteSize());
        }
    }

    @Test
    void untouchedPagesAreLeftOut() {
        long size = (long) PAGES * PAGE;
        long start = Syscall.call("mmap", Nr.MMAP, 0, size, 3, 0x22, -1, 0);  // rw, private anonymous
        try {
            Syscall.call("madvise", Nr.MADVISE, start, size, MADV_NOHUGEPAGE);
            MemorySegment pages = MemorySegment.ofAddress(start).reinterpret(size);
            for (int i = 0; i < PAGES; i += 2) {
                pages.set(JAVA_BYTE, (long) i * PAGE + 5, (byte) 1);
            }

            List<Region> regions = present(start, start + size);

            assertThat(regions).hasSize(PAGES / 2);
            for (int i = 0; i < regions.size(); i++) {
                assertThat(regions.get(i)).isEqualTo(new Region(start + 2L * i * PAGE, start + (2L * i + 1) * PAGE,
                        PagemapScan.PRESENT));
            }
        } finally {
            Syscall.call("munmap", Nr.MUNMAP, start, size);
        }
    }

    /**
     * More regions than one ioctl call returns (every 7th page written, the rest never touched:
     * 4,682 regions in 64 MiB), so the scan continues over several calls. With no category
     * required every page is reported, exactly once, in order, with its category. (Untouched
     * pages, not read ones: some kernels, this machine's among them, map no shared zero page.)
     */
    @Test
    void aScanOverManyCallsReportsEveryPageOnceInOrder() throws IOException {
        long pages = 16384, size = pages * PAGE;
        assumeThat(Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled")))
                .as("a written byte faults in one page only without THP")
                .doesNotContain("[always]");
        long start = Syscall.call("mmap", Nr.MMAP, 0, size, 3, 0x22, -1, 0);
        try {
            MemorySegment memory = MemorySegment.ofAddress(start).reinterpret(size);
            for (long p = 0; p < pages; p += 7) {
                memory.set(JAVA_BYTE, p * PAGE, (byte) 1);
            }

            List<Region> regions;
            try (PagemapScan scan = new PagemapScan(PID)) {
                regions = scan.scan(start, start + size, 0, PagemapScan.PRESENT);
            }

            assertThat(regions).hasSizeGreaterThan(4096);
            long next = start;
            for (Region r : regions) {
                assertThat(r.start()).as("regions in order, gapless here").isEqualTo(next);
                for (long a = r.start(); a < r.end(); a += PAGE) {
                    assertThat(r.is(PagemapScan.PRESENT)).as("page %d", (a - start) / PAGE)
                            .isEqualTo((a - start) / PAGE % 7 == 0);
                }
                next = r.end();
            }
            assertThat(next).isEqualTo(start + size);
        } finally {
            Syscall.call("munmap", Nr.MUNMAP, start, size);
        }
    }
}
