package dev.spice.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.stream.LongStream;

/**
 * Which pages of a file a process has touched through its mappings of it: the pages of those
 * mappings that /proc/PID/pagemap reports present (or swapped), as page numbers of the file. For
 * QEMU's MAP_PRIVATE mapping of the guest memory file that is every page the guest (and QEMU)
 * read or wrote since the restore, plus the neighbours the kernel's fault-around mapped with them
 * (pages already in the page cache, at most 16 per fault).
 */
final class GuestPages {
    private static final long PRESENT = 1L << 63, SWAPPED = 1L << 62;

    private GuestPages() {}

    static long[] touched(int pid, Path file) {
        try {
            String path = file.toRealPath().toString();
            LongStream.Builder pages = LongStream.builder();
            try (FileChannel pagemap = FileChannel.open(Path.of("/proc/" + pid + "/pagemap"), StandardOpenOption.READ)) {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
                    String[] f = line.split("\\s+", 6);
                    if (f.length == 6 && f[5].equals(path)) {
                        String[] range = f[0].split("-");
                        long start = Long.parseUnsignedLong(range[0], 16), end = Long.parseUnsignedLong(range[1], 16);
                        long firstPage = Long.parseUnsignedLong(f[2], 16) / PageRuns.PAGE;
                        present(pagemap, start, end, firstPage, pages);
                    }
                }
            }
            return Arrays.stream(pages.build().toArray()).sorted().distinct().toArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the page map of process " + pid, e);
        }
    }

    /** Adds the file pages of mapping [start, end) that are present, 64 Ki entries (512 KiB) per read. */
    private static void present(FileChannel pagemap, long start, long end, long firstPage, LongStream.Builder out)
            throws IOException {
        ByteBuffer entries = ByteBuffer.allocateDirect(8 << 16).order(ByteOrder.nativeOrder());
        long pageCount = (end - start) / PageRuns.PAGE;
        for (long done = 0; done < pageCount;) {
            entries.clear().limit((int) Math.min(entries.capacity(), (pageCount - done) * 8));
            int n = pagemap.read(entries, (start / PageRuns.PAGE + done) * 8);
            if (n <= 0) {
                throw new IOException("short read of the page map");
            }
            entries.flip();
            for (int i = 0; i < n / 8; i++) {
                if ((entries.getLong(i * 8) & (PRESENT | SWAPPED)) != 0) {
                    out.add(firstPage + done + i);
                }
            }
            done += n / 8;
        }
    }
}
