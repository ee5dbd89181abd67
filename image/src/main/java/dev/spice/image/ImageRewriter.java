package dev.spice.image;

import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WorkingSet;
import dev.spice.image.Records.WsRange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Rewrites an image so that its working set is contiguous on disk: the stored pages that the
 * first invocation writes come first, then those it only reads, then all others, each group in
 * address order. A cold restore then reads the working set in a few large sequential reads.
 *
 * <p>The unit moved is a <em>piece</em>: consecutive pages of the old data section with one
 * category. A stretch of fewer than {@link #MIN_SPLIT} pages between pages of the working set
 * joins it, since reading it costs less than the extra mapping a split costs each restore. Page
 * runs are only split where pieces end, so a restore maps about as many runs as before, and a
 * page stored once (deduplicated) stays stored once. The working set itself, including pages
 * that come from mapped files, goes into the image for the restorer's prefetch.
 */
public final class ImageRewriter {
    private static final int PAGE = ImageFormat.PAGE_SIZE;
    /** Shorter stretches of other pages stay inside a piece of the working set. */
    static final int MIN_SPLIT = 64;
    private static final int COPY_PAGES = 1024;
    private static final int WRITTEN = 0, READ = 1, REST = 2;

    private record Piece(long oldStart, long pages, int category, long firstAddress) {}

    private ImageRewriter() {}

    /** Rewrites {@code image} in place (atomically) with the working set {@code touched}. */
    public static void reorder(Path image, List<WsRange> touched) {
        Image img = ImageReader.read(image);
        ImageContents c = img.contents();
        NavigableMap<Long, WsRange> byStart = new TreeMap<>();
        touched.forEach(r -> byStart.put(r.start(), r));

        // The category of every old data page (the best of the addresses that use it).
        TreeMap<Long, Integer> category = new TreeMap<>();
        Map<Long, Long> firstAddress = new HashMap<>();
        for (PageRun r : c.runs()) {
            for (long p = 0; p < r.pages(); p++) {
                long old = r.dataOffset() + p * PAGE;
                category.merge(old, category(byStart, r.start() + p * PAGE), Math::min);
                firstAddress.merge(old, r.start() + p * PAGE, Math::min);
            }
        }
        List<Piece> pieces = pieces(category, firstAddress);
        pieces.sort(Comparator.comparingInt(Piece::category).thenComparingLong(Piece::firstAddress));
        long wsBytes = pieces.stream().filter(p -> p.category() != REST).mapToLong(p -> p.pages() * PAGE).sum();

        try (ImageWriter writer = ImageWriter.create(image, img.header().metadataSize() + 64L * 1024
                + (long) ImageFormat.WS_RANGE_SIZE * touched.size() + (long) ImageFormat.RUN_SIZE * 2 * pieces.size());
                FileChannel in = FileChannel.open(image, StandardOpenOption.READ);
                Arena arena = Arena.ofConfined()) {
            Map<Long, Long> moved = new HashMap<>();
            MemorySegment buffer = arena.allocate((long) COPY_PAGES * PAGE, PAGE);
            long dataStart = -1;
            for (Piece piece : pieces) {
                for (long done = 0; done < piece.pages(); done += COPY_PAGES) {
                    int n = (int) Math.min(COPY_PAGES, piece.pages() - done);
                    long old = piece.oldStart() + done * PAGE;
                    read(in, buffer.asSlice(0, (long) n * PAGE), old);
                    long at = writer.appendPages(buffer.asSlice(0, (long) n * PAGE));
                    dataStart = dataStart < 0 ? at : dataStart;
                    for (int k = 0; k < n; k++) {
                        moved.put(old + (long) k * PAGE, at + (long) k * PAGE);
                    }
                }
            }
            List<PageRun> runs = new ArrayList<>();
            List<VmaRecord> vmas = new ArrayList<>();
            for (VmaRecord v : c.vmas()) {
                int first = runs.size();
                for (PageRun r : c.runsOf(v)) {
                    for (long p = 0; p < r.pages(); p++) {
                        append(runs, first, r.start() + p * PAGE, moved.get(r.dataOffset() + p * PAGE));
                    }
                }
                vmas.add(new VmaRecord(v.start(), v.end(), v.fileOffset(), v.kind(), v.prot(), v.flags(), v.advice(),
                        v.file(), v.name(), first, runs.size() - first));
            }
            writer.commit(c.withMemory(vmas, runs, new WorkingSet(touched, Math.max(dataStart, 0), wsBytes)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + image, e);
        }
    }

    private static int category(NavigableMap<Long, WsRange> byStart, long address) {
        Map.Entry<Long, WsRange> e = byStart.floorEntry(address);
        if (e == null || address >= e.getValue().end()) {
            return REST;
        }
        return e.getValue().written() ? WRITTEN : READ;
    }

    /**
     * Splits the old data section into pieces that are wholly in the working set or wholly out
     * of it; a piece of the working set is "written" if any of its pages is. Short stretches of
     * other pages between working-set pages join them.
     */
    private static List<Piece> pieces(TreeMap<Long, Integer> category, Map<Long, Long> firstAddress) {
        List<Long> offsets = new ArrayList<>(category.keySet());
        int n = offsets.size();
        int[] cat = offsets.stream().mapToInt(category::get).toArray();
        boolean[] ws = new boolean[n];
        for (int i = 0; i < n; i++) {
            ws[i] = cat[i] != REST;
        }
        for (int i = 1; i < n; i++) {
            if (ws[i] || !ws[i - 1] || !adjacent(offsets, i)) {
                continue;
            }
            int j = i;
            while (j < n && !ws[j] && j - i < MIN_SPLIT && adjacent(offsets, j)) {
                j++;
            }
            if (j < n && ws[j] && adjacent(offsets, j)) {
                for (int k = i; k < j; k++) {
                    ws[k] = true;
                }
            }
        }
        List<Piece> pieces = new ArrayList<>();
        for (int i = 0; i < n;) {
            int j = i + 1;
            long first = firstAddress.get(offsets.get(i));
            int best = cat[i];
            while (j < n && ws[j] == ws[i] && adjacent(offsets, j)) {
                first = Math.min(first, firstAddress.get(offsets.get(j)));
                best = Math.min(best, cat[j]);
                j++;
            }
            pieces.add(new Piece(offsets.get(i), j - i, ws[i] ? best : REST, first));
            i = j;
        }
        return pieces;
    }

    private static boolean adjacent(List<Long> offsets, int i) {
        return offsets.get(i) == offsets.get(i - 1) + PAGE;
    }

    private static void read(FileChannel in, MemorySegment into, long position) throws IOException {
        ByteBuffer b = into.asByteBuffer();
        while (b.hasRemaining()) {
            if (in.read(b, position + b.position()) < 0) {
                throw new IOException("the image ends inside its page data");
            }
        }
    }

    private static void append(List<PageRun> runs, int first, long address, long data) {
        if (runs.size() > first) {
            PageRun last = runs.getLast();
            if (last.start() + last.bytes() == address && last.dataOffset() + last.bytes() == data) {
                runs.set(runs.size() - 1, new PageRun(last.start(), last.pages() + 1, last.dataOffset()));
                return;
            }
        }
        runs.add(new PageRun(address, 1, data));
    }
}
