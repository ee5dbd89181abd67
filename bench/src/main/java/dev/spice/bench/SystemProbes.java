package dev.spice.bench;

import dev.spice.sys.Syscall;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    static int cpus() {
        return Runtime.getRuntime().availableProcessors();
    }
}
