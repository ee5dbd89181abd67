package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Resource limits of any process, through prlimit64(2). */
public final class ResourceLimits {
    /** RLIMIT_CPU .. RLIMIT_RTTIME. */
    public static final int COUNT = 16;
    public static final String[] NAMES = {"cpu", "fsize", "data", "stack", "core", "rss", "nproc",
        "nofile", "memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime"};

    private ResourceLimits() {}

    /** {@code [resource][0]} is the soft limit, {@code [resource][1]} the hard one; -1 is unlimited. */
    public static long[][] of(int pid) {
        long[][] limits = new long[COUNT][];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(JAVA_LONG, 2);
            for (int r = 0; r < COUNT; r++) {
                Syscall.call("prlimit64", Nr.PRLIMIT64, pid, r, 0, old.address());
                limits[r] = new long[] {old.getAtIndex(JAVA_LONG, 0), old.getAtIndex(JAVA_LONG, 1)};
            }
        }
        return limits;
    }
}
