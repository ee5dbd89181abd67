package dev.spice.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The share of CPU time the hypervisor gave to others while this VM wanted it ("steal" in
 * /proc/stat), over a stretch of time: on a shared host it is what makes runs of the same code
 * differ, so the report states it.
 */
final class CpuSteal {
    private final long steal;
    private final long total;

    private CpuSteal(long steal, long total) {
        this.steal = steal;
        this.total = total;
    }

    /** The counters now (the first line of /proc/stat: all CPUs, in clock ticks). */
    static CpuSteal now() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long total = 0;
            for (int i = 1; i <= 8 && i < f.length; i++) {   // user .. steal; guest time is inside user
                total += Long.parseLong(f[i]);
            }
            return new CpuSteal(f.length > 8 ? Long.parseLong(f[8]) : 0, total);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Percent of all CPU time since {@code start} that was stolen. */
    double percentSince(CpuSteal start) {
        long dt = total - start.total;
        return dt > 0 ? 100.0 * (steal - start.steal) / dt : 0;
    }
}
