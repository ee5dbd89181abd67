package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.sys.PagemapScan.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class PagemapScanTest {
    private static final int PAGE = 4096, PAGES = 64;
    private static final long MADVISE = 28, MADV_NOHUGEPAGE = 14;
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
            Syscall.call("madvise", MADVISE, start, size, MADV_NOHUGEPAGE);
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
}
