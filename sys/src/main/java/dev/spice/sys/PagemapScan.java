package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The PAGEMAP_SCAN ioctl on /proc/PID/pagemap (Linux 6.7+): returns the populated ranges of an
 * address range in one call, with their page categories, instead of one pagemap entry per page.
 */
public final class PagemapScan implements AutoCloseable {
    public static final long WRITTEN = 1 << 1, FILE = 1 << 2, PRESENT = 1 << 3, SWAPPED = 1 << 4,
            PFNZERO = 1 << 5;
    private static final long PAGEMAP_SCAN = 0xC0606610L;
    private static final long O_RDONLY_CLOEXEC = 02000000, AT_FDCWD = -100;
    private static final int ARG_SIZE = 96, REGION_SIZE = 24, VEC_LEN = 4096;

    /** Pages [start, end) share the categories {@code categories}. */
    public record Region(long start, long end, long categories) {
        public boolean is(long category) {
            return (categories & category) != 0;
        }
    }

    private final int fd;
    private final UseCount once = new UseCount(this::release);
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment arg = arena.allocate(ARG_SIZE, 8);
    private final MemorySegment vec = arena.allocate((long) REGION_SIZE * VEC_LEN, 8);

    public PagemapScan(int pid) {
        MemorySegment path = arena.allocateFrom("/proc/" + pid + "/pagemap");
        fd = (int) Syscall.call("open /proc/" + pid + "/pagemap", 257, AT_FDCWD, path.address(),
                O_RDONLY_CLOEXEC, 0);
    }

    /**
     * The regions of [start, end) with at least one of {@code anyOf}, reporting {@code report}, in
     * address order, without overlaps, adjacent regions of equal categories joined.
     *
     * <p>The scan continues from the kernel's {@code walk_end} until it reaches {@code end}. That
     * is where the kernel says it stopped walking, but it is not a bound on what it reported: Linux
     * 6.18 was seen to return regions up to the end of a 64 MiB mapping with {@code walk_end} 1 MiB
     * short of it, and to report those regions again on the next call. Regions are therefore
     * clipped to what earlier calls did not cover.
     */
    public List<Region> scan(long start, long end, long anyOf, long report) {
        List<Region> regions = new ArrayList<>();
        long covered = start;
        long from = start;
        while (from < end) {
            arg.fill((byte) 0);
            arg.set(JAVA_LONG, 0, ARG_SIZE);
            arg.set(JAVA_LONG, 16, from);
            arg.set(JAVA_LONG, 24, end);
            arg.set(JAVA_LONG, 40, vec.address());
            arg.set(JAVA_LONG, 48, VEC_LEN);
            arg.set(JAVA_LONG, 80, anyOf);
            arg.set(JAVA_LONG, 88, report);
            long n = Syscall.call("ioctl(PAGEMAP_SCAN)", 16, fd, PAGEMAP_SCAN, arg.address());
            for (int i = 0; i < n; i++) {
                long regionStart = Math.max(covered, vec.get(JAVA_LONG, (long) i * REGION_SIZE));
                long regionEnd = Math.min(end, vec.get(JAVA_LONG, (long) i * REGION_SIZE + 8));
                if (regionStart < regionEnd) {
                    add(regions, new Region(regionStart, regionEnd, vec.get(JAVA_LONG, (long) i * REGION_SIZE + 16)));
                    covered = regionEnd;
                }
            }
            long walked = arg.get(JAVA_LONG, 32);
            if (walked <= from) {
                throw new IllegalStateException(String.format(
                        "PAGEMAP_SCAN made no progress at 0x%x (walk_end 0x%x, %d regions)", from, walked, n));
            }
            from = walked;
        }
        return regions;
    }

    private static void add(List<Region> regions, Region r) {
        if (!regions.isEmpty()) {
            Region last = regions.getLast();
            if (last.end() == r.start() && last.categories() == r.categories()) {
                regions.set(regions.size() - 1, new Region(last.start(), r.end(), r.categories()));
                return;
            }
        }
        regions.add(r);
    }

    /** Idempotent: a second close(2) of the number would close whatever file holds it by then. */
    @Override
    public void close() {
        once.close();
    }

    private void release() {
        Fds.close(fd);
        arena.close();
    }
}
