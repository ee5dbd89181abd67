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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Rewrites an image so that its working set is contiguous on disk: the stored pages the first
 * invocation writes come first, then those it only reads, each sorted by address, then all the
 * others. A cold restore then reads the working set in a few large sequential reads. The
 * working set itself (including pages that come from mapped files, not from the image) goes into
 * the image for the restorer's prefetch.
 */
public final class ImageRewriter {
    private static final int PAGE = ImageFormat.PAGE_SIZE;
    private static final int COPY_PAGES = 1024;
    private static final int WRITTEN = 0, READ = 1, REST = 2;

    private ImageRewriter() {}

    /** Rewrites {@code image} in place (atomically) with the working set {@code touched}. */
    public static void reorder(Path image, List<WsRange> touched) {
        Image img = ImageReader.read(image);
        ImageContents c = img.contents();
        NavigableMap<Long, WsRange> byStart = new TreeMap<>();
        touched.forEach(r -> byStart.put(r.start(), r));
        // Every stored data page once, with the best category of the addresses that use it.
        Map<Long, int[]> pages = new LinkedHashMap<>();         // old data offset -> {category, order key}
        List<long[]> uses = new ArrayList<>();                  // {address, old data offset}
        for (PageRun r : c.runs()) {
            for (long p = 0; p < r.pages(); p++) {
                long address = r.start() + p * PAGE;
                long old = r.dataOffset() + p * PAGE;
                int category = category(byStart, address);
                int[] seen = pages.get(old);
                if (seen == null || category < seen[0]) {
                    pages.put(old, new int[] {category});
                }
                uses.add(new long[] {address, old});
            }
        }
        Map<Long, Long> firstAddress = new LinkedHashMap<>();
        for (long[] u : uses) {
            firstAddress.putIfAbsent(u[1], u[0]);
        }
        List<Long> order = new ArrayList<>(pages.keySet());
        order.sort(Comparator.comparingInt((Long old) -> pages.get(old)[0]).thenComparingLong(firstAddress::get));
        long wsPages = order.stream().filter(old -> pages.get(old)[0] != REST).count();

        try (ImageWriter writer = ImageWriter.create(image, img.header().metadataSize() + 64L * 1024
                + (long) ImageFormat.WS_RANGE_SIZE * touched.size() + (long) ImageFormat.RUN_SIZE * uses.size());
                FileChannel in = FileChannel.open(image, StandardOpenOption.READ);
                Arena arena = Arena.ofConfined()) {
            Map<Long, Long> moved = copy(in, writer, order, arena);
            List<PageRun> runs = new ArrayList<>();
            List<VmaRecord> vmas = new ArrayList<>();
            for (VmaRecord v : c.vmas()) {
                int first = runs.size();
                List<long[]> vmaUses = new ArrayList<>();
                for (PageRun r : c.runsOf(v)) {
                    for (long p = 0; p < r.pages(); p++) {
                        vmaUses.add(new long[] {r.start() + p * PAGE, moved.get(r.dataOffset() + p * PAGE)});
                    }
                }
                vmaUses.sort(Comparator.comparingLong(u -> u[0]));
                for (long[] u : vmaUses) {
                    append(runs, first, u[0], u[1]);
                }
                vmas.add(new VmaRecord(v.start(), v.end(), v.fileOffset(), v.kind(), v.prot(), v.flags(), v.advice(),
                        v.file(), v.name(), first, runs.size() - first));
            }
            long dataStart = order.isEmpty() ? 0 : moved.get(order.getFirst());
            writer.commit(c.withMemory(vmas, runs, new WorkingSet(touched, dataStart, wsPages * PAGE)));
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

    /** Copies the pages in their new order, reading consecutive old pages together. */
    private static Map<Long, Long> copy(FileChannel in, ImageWriter writer, List<Long> order, Arena arena)
            throws IOException {
        Map<Long, Long> moved = new LinkedHashMap<>();
        MemorySegment buffer = arena.allocate((long) COPY_PAGES * PAGE, PAGE);
        int i = 0;
        while (i < order.size()) {
            int n = 1;
            while (i + n < order.size() && n < COPY_PAGES
                    && order.get(i + n).longValue() == order.get(i).longValue() + (long) n * PAGE) {
                n++;
            }
            ByteBuffer b = buffer.asSlice(0, (long) n * PAGE).asByteBuffer();
            while (b.hasRemaining()) {
                if (in.read(b, order.get(i) + b.position()) < 0) {
                    throw new IOException("the image ends inside its page data");
                }
            }
            long at = writer.appendPages(buffer.asSlice(0, (long) n * PAGE));
            for (int k = 0; k < n; k++) {
                moved.put(order.get(i + k), at + (long) k * PAGE);
            }
            i += n;
        }
        return moved;
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
