package dev.spice.bench;

import dev.spice.sys.Fds;
import dev.spice.sys.Nr;
import dev.spice.sys.Syscall;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of pages of a file as ascending, disjoint runs: the VM baseline's working set, the pages
 * of the guest memory file that a restore and the first invocation touched. Stored as text:
 * a header line, then one run per line, "FIRST COUNT" in pages of 4096 bytes.
 */
record PageRuns(List<Run> runs) {
    static final int PAGE = 4096;
    static final String HEADER = "spice-vm-working-set 1 pages of 4096 bytes: first count";
    /** Reads of at most this size: large enough to stream from the disk, small enough for one buffer. */
    private static final int READ_BYTES = 1 << 20;
    /** Runs at most this many pages apart are read as one span: one 128 KiB request costs less than two. */
    static final long MERGE_GAP = 32;
    private static final int O_RDONLY_CLOEXEC = 02000000, AT_FDCWD = -100, POSIX_FADV_WILLNEED = 3;

    record Run(long first, long count) {
        long end() {
            return first + count;
        }
    }

    PageRuns {
        runs = List.copyOf(runs);
        for (int i = 0; i < runs.size(); i++) {
            check(i == 0 ? null : runs.get(i - 1), runs.get(i));
        }
    }

    /** A run must be non-empty and start past the end of the one before (adjacent runs would be one). */
    private static void check(Run previous, Run r) {
        if (r.first() < 0 || r.count() <= 0) {
            throw new IllegalArgumentException("a run needs a first page >= 0 and a count > 0");
        }
        if (previous != null && r.first() <= previous.end()) {
            throw new IllegalArgumentException("runs must ascend with gaps between them");
        }
    }

    /** The runs of ascending, distinct page numbers. */
    static PageRuns of(long[] sortedPages) {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < sortedPages.length;) {
            int j = i + 1;
            while (j < sortedPages.length && sortedPages[j] == sortedPages[j - 1] + 1) {
                j++;
            }
            runs.add(new Run(sortedPages[i], j - i));
            i = j;
        }
        return new PageRuns(runs);
    }

    long pages() {
        return runs.stream().mapToLong(Run::count).sum();
    }

    String format() {
        StringBuilder s = new StringBuilder(HEADER).append('\n');
        runs.forEach(r -> s.append(r.first()).append(' ').append(r.count()).append('\n'));
        return s.toString();
    }

    /** Parses {@link #format()}; a malformed file gives a one-line reason with its line number. */
    static PageRuns parse(String text) {
        String[] lines = text.split("\n", -1);
        if (!lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("not a working-set file (first line: " + lines[0] + ")");
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty() && i == lines.length - 1) {
                break;
            }
            String[] f = lines[i].split(" ");
            try {
                if (f.length != 2) {
                    throw new IllegalArgumentException("expected FIRST COUNT");
                }
                Run r = new Run(Long.parseLong(f[0]), Long.parseLong(f[1]));
                check(runs.isEmpty() ? null : runs.getLast(), r);
                runs.add(r);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("working-set line " + (i + 1) + " (" + lines[i] + "): "
                        + e.getMessage(), e);
            }
        }
        return new PageRuns(runs);
    }

    static PageRuns read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the working set " + file, e);
        }
    }

    void write(Path file) {
        try {
            Files.writeString(file, format());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the working set " + file, e);
        }
    }

    /** The runs with gaps of at most {@link #MERGE_GAP} pages closed: what {@link #prefetch} reads. */
    PageRuns spans() {
        List<Run> spans = new ArrayList<>();
        for (Run r : runs) {
            Run last = spans.isEmpty() ? null : spans.getLast();
            if (last != null && r.first() - last.end() <= MERGE_GAP) {
                spans.set(spans.size() - 1, new Run(last.first(), r.end() - last.first()));
            } else {
                spans.add(r);
            }
        }
        return new PageRuns(spans);
    }

    /**
     * Reads these pages of {@code file} into the page cache: first every span is queued with
     * POSIX_FADV_WILLNEED (the disk sees them all at once, as FaaSnap loads concurrently), then
     * each is read in file order in preads of up to 1 MiB into one buffer that is then dropped,
     * which returns when the data is in the cache. Returns the bytes read.
     */
    long prefetch(Path file) {
        PageRuns spans = spans();
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) Syscall.call("open " + file, Nr.OPENAT, AT_FDCWD, arena.allocateFrom(file.toString()).address(),
                    O_RDONLY_CLOEXEC);
            try {
                for (Run r : spans.runs) {
                    Syscall.call("fadvise64", Nr.FADVISE64, fd, r.first() * PAGE, r.count() * PAGE, POSIX_FADV_WILLNEED);
                }
            } finally {
                Fds.close(fd);
            }
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BYTES);
        long total = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (Run r : spans.runs) {
                for (long at = r.first() * PAGE, end = r.end() * PAGE; at < end;) {
                    buffer.clear().limit((int) Math.min(READ_BYTES, end - at));
                    int n = ch.read(buffer, at);
                    if (n <= 0) {
                        return total;                       // past the end of the file: nothing left to read
                    }
                    at += n;
                    total += n;
                }
            }
            return total;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prefetch the working set of " + file, e);
        }
    }
}
