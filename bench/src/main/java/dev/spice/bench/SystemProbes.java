package dev.spice.bench;

import dev.spice.sys.Syscall;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/** What the benchmarks read from the system: page cache control, disk reads, memory of a process. */
final class SystemProbes {
    private static final long SYNC = 162;

    private SystemProbes() {}

    /** sync, then drop the page cache, dentries and inodes (needs root). */
    static void dropCaches() {
        Syscall.call("sync", SYNC);
        try {
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot drop the page cache (needs root)", e);
        }
    }

    /** Bytes read so far by all whole disks (/proc/diskstats, sectors of 512 bytes). */
    static long diskReadBytes() {
        try {
            long sectors = 0;
            for (String line : Files.readAllLines(Path.of("/proc/diskstats"))) {
                String[] f = line.trim().split("\\s+");
                String name = f[2];
                if (f.length > 5 && !name.startsWith("loop") && !name.startsWith("ram") && !name.matches(".*\\d+p?\\d+")
                        && !name.matches("(sd|hd|xvd)[a-z]+\\d+")) {
                    sectors += Long.parseLong(f[5]);
                }
            }
            return sectors * 512;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The proportional set size of a process (its share of every page it maps), or 0 if gone. */
    static long pss(int pid) {
        return memory(pid).pss();
    }

    /** What a process maps, from /proc/PID/smaps_rollup; all 0 if it is gone. */
    static MemoryUse memory(int pid) {
        long pss = 0;
        long rss = 0;
        long own = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "smaps_rollup"))) {
                long bytes = line.endsWith(" kB") ? Long.parseLong(line.replaceAll("\\D+", "")) * 1024 : 0;
                if (line.startsWith("Pss:")) {
                    pss = bytes;
                } else if (line.startsWith("Rss:")) {
                    rss = bytes;
                } else if (line.startsWith("Private_Clean:") || line.startsWith("Private_Dirty:")) {
                    own += bytes;
                }
            }
        } catch (IOException e) {
            return new MemoryUse(0, 0, 0);
        }
        return new MemoryUse(pss, rss, own);
    }

    /** Proportional set size, resident set size, and the pages no other process maps, in bytes. */
    record MemoryUse(long pss, long rss, long privateBytes) {}

    /**
     * How fast this machine's disk reads a file sequentially through the page cache (readahead
     * included), in bytes per second: writes {@code bytes} of random data under {@code dir},
     * drops the page cache, reads it back in 1 MiB requests; the median of three reads.
     */
    static double sequentialReadBytesPerSecond(Path dir, long bytes) {
        Path file = dir.resolve("disk-probe.bin");
        try {
            Files.createDirectories(dir);
            ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
            byte[] random = new byte[block.capacity()];
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                for (long written = 0; written < bytes; written += block.capacity()) {
                    ThreadLocalRandom.current().nextBytes(random);
                    block.clear().put(random).flip();
                    while (block.hasRemaining()) {
                        out.write(block);
                    }
                }
                out.force(true);
            }
            double[] rates = new double[3];
            for (int i = 0; i < rates.length; i++) {
                dropCaches();
                long start = System.nanoTime();
                long read = 0;
                try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                    for (int n; (n = in.read(block.clear())) > 0; ) {
                        read += n;
                    }
                }
                rates[i] = read / ((System.nanoTime() - start) / 1e9);
            }
            Arrays.sort(rates);
            return rates[1];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure the disk's read rate in " + dir, e);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a leftover probe file in the results directory is harmless
            }
        }
    }

    static int cpus() {
        return Runtime.getRuntime().availableProcessors();
    }
}
