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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Copies the pages of the process that the image must carry into the image, and no others.
 * PAGEMAP_SCAN finds the populated pages of each mapping in a few calls; they are read through
 * /proc/PID/mem (which, unlike process_vm_readv, also reads pages the process cannot read
 * itself). Left out: pages of zeros where the mapping reads as zeros anyway, copied-on-write pages
 * of a file mapping that still equal the file, and pages equal to one already stored (stored once,
 * mapped wherever they occur).
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
    /** Stored pages by CRC32C, for deduplication (equal checksums are compared byte by byte). */
    private final Map<Integer, List<Long>> stored = new HashMap<>();
    private long duplicates;
    private long fileEqual;

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

    /** Pages left out because they equal a page stored earlier, or their file's content. */
    long duplicatePages() {
        return duplicates;
    }

    long fileEqualPages() {
        return fileEqual;
    }

    /** Writes the pages; afterwards {@link #vmas()} and {@link #runs()} describe them. */
    void writeTo(ImageWriter writer) {
        try (Arena arena = Arena.ofConfined();
                FileChannel mem = FileChannel.open(ProcFiles.path(pid, "mem"), StandardOpenOption.READ)) {
            Chunk chunk = new Chunk(arena, writer);
            for (int i = 0; i < plan.size(); i++) {
                PlannedMapping p = plan.get(i);
                Mapping m = p.mapping();
                int firstRun = runs.size();
                try (FileChannel file = p.pages() == PlannedMapping.Pages.COPIED_FROM_FILE ? openBacking(m) : null) {
                    for (Region r : candidates.get(i)) {
                        for (long at = r.start(); at < r.end(); at += (long) CHUNK_PAGES * PAGE) {
                            int pages = (int) Math.min(CHUNK_PAGES, (r.end() - at) / PAGE);
                            readFully(mem, chunk.in, at, pages);
                            chunk.store(at, pages, p.pages() != PlannedMapping.Pages.COPIED_FROM_FILE, file,
                                    m.offset() + (at - m.start()), firstRun);
                        }
                    }
                }
                vmas.add(new VmaRecord(m.start(), m.end(), m.offset(), p.kind(), m.prot(), p.flags(), p.advice(),
                        p.file(), p.anonName(), firstRun, runs.size() - firstRun));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the memory of process " + pid, e);
        }
    }

    /** The file behind a mapping, as the process maps it. */
    private FileChannel openBacking(Mapping m) throws IOException {
        return FileChannel.open(ProcFiles.path(pid, String.format("map_files/%x-%x", m.start(), m.end())),
                StandardOpenOption.READ);
    }

    /** Buffers for one chunk of pages: as read, as kept, and for comparisons. */
    private final class Chunk {
        final MemorySegment in;
        final MemorySegment out;
        final MemorySegment compare;
        final ImageWriter writer;
        final CRC32C crc = new CRC32C();

        Chunk(Arena arena, ImageWriter writer) {
            this.in = arena.allocate((long) CHUNK_PAGES * PAGE, PAGE);
            this.out = arena.allocate((long) CHUNK_PAGES * PAGE, PAGE);
            this.compare = arena.allocate(PAGE, PAGE);
            this.writer = writer;
        }

        /**
         * Decides for each page of the chunk: left out, stored anew, or mapped to an equal page
         * stored before; then appends the new ones and extends or starts runs.
         */
        void store(long base, int pages, boolean dropZeros, FileChannel file, long fileOffset, int firstRun)
                throws IOException {
            long[] existing = new long[pages];          // -1: left out; -2: new; -3: as a new one; else stored offset
            int[] newIndex = new int[pages];
            int[] checksums = new int[pages];
            int[] sameAs = new int[pages];              // for a page equal to a new page of this chunk: its index
            Map<Integer, List<Integer>> pending = new HashMap<>();
            int kept = 0;
            for (int p = 0; p < pages; p++) {
                MemorySegment page = in.asSlice((long) p * PAGE, PAGE);
                if (dropZeros && page.mismatch(ZERO_PAGE) == -1) {
                    existing[p] = -1;
                } else if (file != null && equalsFile(file, fileOffset + (long) p * PAGE, page)) {
                    existing[p] = -1;
                    fileEqual++;
                } else {
                    crc.reset();
                    crc.update(page.asByteBuffer());
                    checksums[p] = (int) crc.getValue();
                    long dup = findStored(checksums[p], page);
                    int twin = dup >= 0 ? -1 : findPending(pending.get(checksums[p]), page);
                    if (dup >= 0) {
                        existing[p] = dup;
                        duplicates++;
                    } else if (twin >= 0) {
                        existing[p] = -3;
                        sameAs[p] = twin;
                        duplicates++;
                    } else {
                        existing[p] = -2;
                        newIndex[p] = kept;
                        pending.computeIfAbsent(checksums[p], k -> new ArrayList<>(1)).add(kept);
                        out.asSlice((long) kept * PAGE, PAGE).copyFrom(page);
                        kept++;
                    }
                }
            }
            long offset = kept > 0 ? writer.appendPages(out.asSlice(0, (long) kept * PAGE)) : -1;
            for (int p = 0; p < pages; p++) {
                if (existing[p] == -1) {
                    continue;
                }
                long dataOffset = existing[p] == -2 ? offset + (long) newIndex[p] * PAGE
                        : existing[p] == -3 ? offset + (long) sameAs[p] * PAGE : existing[p];
                if (existing[p] == -2) {
                    stored.computeIfAbsent(checksums[p], k -> new ArrayList<>(1)).add(dataOffset);
                }
                addPage(base + (long) p * PAGE, dataOffset, firstRun);
            }
        }

        private long findStored(int checksum, MemorySegment page) {
            List<Long> offsets = stored.get(checksum);
            if (offsets == null) {
                return -1;
            }
            for (long offset : offsets) {
                writer.readBack(offset, compare);
                if (compare.mismatch(page) == -1) {
                    return offset;
                }
            }
            return -1;
        }

        /** A new page of this chunk equal to {@code page}, by its index in {@link #out}, or -1. */
        private int findPending(List<Integer> candidates, MemorySegment page) {
            if (candidates != null) {
                for (int index : candidates) {
                    if (out.asSlice((long) index * PAGE, PAGE).mismatch(page) == -1) {
                        return index;
                    }
                }
            }
            return -1;
        }

        private boolean equalsFile(FileChannel file, long position, MemorySegment page) throws IOException {
            ByteBuffer buf = compare.asByteBuffer();
            while (buf.hasRemaining()) {
                if (file.read(buf, position + buf.position()) <= 0) {
                    return false;                   // past the end of the file: keep the page
                }
            }
            return compare.mismatch(page) == -1;
        }
    }

    /** Extends the current run when address and data both continue it, else starts a new run. */
    private void addPage(long address, long dataOffset, int firstRun) {
        if (runs.size() > firstRun) {
            PageRun last = runs.getLast();
            if (last.start() + last.bytes() == address && last.dataOffset() + last.bytes() == dataOffset) {
                runs.set(runs.size() - 1, new PageRun(last.start(), last.pages() + 1, last.dataOffset()));
                return;
            }
        }
        runs.add(new PageRun(address, 1, dataOffset));
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
