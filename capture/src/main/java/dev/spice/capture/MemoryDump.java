package dev.spice.capture;

import dev.spice.image.ImageFormat;
import dev.spice.image.ImageWriter;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.VmaRecord;
import dev.spice.sys.PagemapScan;
import dev.spice.sys.PagemapScan.Region;
import dev.spice.sys.proc.Mapping;
import dev.spice.sys.proc.ProcFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies the pages of the process that the image must carry into the image. PAGEMAP_SCAN finds
 * the populated pages of each mapping in a few calls; they are read through /proc/PID/mem (which,
 * unlike process_vm_readv, also reads pages the process cannot read itself), pages of zeros are
 * dropped where the mapping reads as zeros anyway, and the rest become runs of the image.
 */
final class MemoryDump {
    private static final int PAGE = ImageFormat.PAGE_SIZE;
    private static final int CHUNK_PAGES = 2048;
    private static final MemorySegment ZERO_PAGE = Arena.global().allocate(PAGE);

    private final int pid;
    private final List<PlannedMapping> plan;
    private final List<List<Region>> candidates = new ArrayList<>();
    private final List<VmaRecord> vmas = new ArrayList<>();
    private final List<PageRun> runs = new ArrayList<>();

    MemoryDump(int pid, List<PlannedMapping> plan) {
        this.pid = pid;
        this.plan = plan;
        try (PagemapScan scan = new PagemapScan(pid)) {
            for (PlannedMapping p : plan) {
                candidates.add(candidates(scan, p));
            }
        }
    }

    private static List<Region> candidates(PagemapScan scan, PlannedMapping p) {
        Mapping m = p.mapping();
        long populated = PagemapScan.PRESENT | PagemapScan.SWAPPED;
        long report = populated | PagemapScan.FILE | PagemapScan.PFNZERO;
        return switch (p.pages()) {
            case NONE -> List.of();
            case ALL_NONZERO -> List.of(new Region(m.start(), m.end(), 0));
            case POPULATED_NONZERO -> scan.scan(m.start(), m.end(), populated, report).stream()
                    .filter(r -> !r.is(PagemapScan.PFNZERO)).toList();
            case COPIED_FROM_FILE -> scan.scan(m.start(), m.end(), populated, report).stream()
                    .filter(r -> r.is(PagemapScan.SWAPPED) || !r.is(PagemapScan.FILE)).toList();
        };
    }

    /** Upper bound of the pages (and so of the runs) the image will hold. */
    long candidatePages() {
        return candidates.stream().flatMap(List::stream).mapToLong(r -> (r.end() - r.start()) / PAGE).sum();
    }

    int mappingCount() {
        return plan.size();
    }

    /** Writes the pages; afterwards {@link #vmas()} and {@link #runs()} describe them. */
    void writeTo(ImageWriter writer) {
        try (Arena arena = Arena.ofConfined();
                FileChannel mem = FileChannel.open(ProcFiles.path(pid, "mem"), StandardOpenOption.READ)) {
            MemorySegment in = arena.allocate((long) CHUNK_PAGES * PAGE, PAGE);
            MemorySegment out = arena.allocate((long) CHUNK_PAGES * PAGE, PAGE);
            for (int i = 0; i < plan.size(); i++) {
                PlannedMapping p = plan.get(i);
                int firstRun = runs.size();
                boolean dropZeros = p.pages() != PlannedMapping.Pages.COPIED_FROM_FILE;
                for (Region r : candidates.get(i)) {
                    for (long at = r.start(); at < r.end(); at += (long) CHUNK_PAGES * PAGE) {
                        int pages = (int) Math.min(CHUNK_PAGES, (r.end() - at) / PAGE);
                        readFully(mem, in, at, pages);
                        copyChunk(writer, in, out, at, pages, dropZeros, firstRun);
                    }
                }
                Mapping m = p.mapping();
                vmas.add(new VmaRecord(m.start(), m.end(), m.offset(), p.kind(), m.prot(), p.flags(), p.advice(),
                        p.file(), p.anonName(), firstRun, runs.size() - firstRun));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the memory of process " + pid, e);
        }
    }

    /** Appends the kept pages of one chunk; consecutive kept pages extend the current run. */
    private void copyChunk(ImageWriter writer, MemorySegment in, MemorySegment out, long base, int pages,
            boolean dropZeros, int mappingFirstRun) {
        int kept = 0;
        List<long[]> started = new ArrayList<>();   // {run index, page index in out}
        PageRun last = runs.size() > mappingFirstRun ? runs.getLast() : null;
        boolean extendable = last != null && last.start() + last.bytes() == base;
        for (int p = 0; p < pages; p++) {
            MemorySegment page = in.asSlice((long) p * PAGE, PAGE);
            if (dropZeros && page.mismatch(ZERO_PAGE) == -1) {
                extendable = false;
                continue;
            }
            out.asSlice((long) kept * PAGE, PAGE).copyFrom(page);
            long address = base + (long) p * PAGE;
            if (extendable) {
                last = runs.getLast();
                runs.set(runs.size() - 1, new PageRun(last.start(), last.pages() + 1, last.dataOffset()));
            } else {
                runs.add(new PageRun(address, 1, -1));
                started.add(new long[] {runs.size() - 1, kept});
                extendable = true;
            }
            kept++;
        }
        if (kept == 0) {
            return;
        }
        long offset = writer.appendPages(out.asSlice(0, (long) kept * PAGE));
        for (long[] s : started) {
            PageRun r = runs.get((int) s[0]);
            runs.set((int) s[0], new PageRun(r.start(), r.pages(), offset + s[1] * PAGE));
        }
    }

    private static void readFully(FileChannel mem, MemorySegment into, long address, int pages) throws IOException {
        ByteBuffer buf = into.asSlice(0, (long) pages * PAGE).asByteBuffer();
        while (buf.hasRemaining()) {
            if (mem.read(buf, address + buf.position()) <= 0) {
                throw new IOException(String.format("short read of process memory at 0x%x", address + buf.position()));
            }
        }
    }

    List<VmaRecord> vmas() {
        return vmas;
    }

    List<PageRun> runs() {
        return runs;
    }

    /** Whether the image stores the page at {@code address} (which then does not come from its file). */
    boolean stores(long address) {
        for (PageRun r : runs) {
            if (address >= r.start() && address < r.start() + r.bytes()) {
                return true;
            }
        }
        return false;
    }
}
