package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** kcmp(2) (CONFIG_KCMP): whether two descriptors, or a descriptor and an epoll registration, are one open file. */
public final class Kcmp {
    private static final int KCMP_FILE = 0, KCMP_EPOLL_TFD = 7;

    private Kcmp() {}

    /** Whether descriptors {@code a} and {@code b} of process {@code pid} share one open file (dup). */
    public static boolean sameFile(int pid, int a, int b) {
        return Syscall.call("kcmp", Nr.KCMP, pid, pid, KCMP_FILE, a, b) == 0;
    }

    /**
     * Whether epoll {@code epfd} of {@code pid} registered the open file that its descriptor {@code tfd}
     * names now (the registration is keyed by file and number; the number may since name another file).
     */
    public static boolean registeredAs(int pid, int epfd, int tfd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(12, 4);       // struct kcmp_epoll_slot {efd, tfd, toff}
            slot.set(JAVA_INT, 0, epfd);
            slot.set(JAVA_INT, 4, tfd);
            slot.set(JAVA_INT, 8, 0);
            long r = Syscall.raw(Nr.KCMP, pid, pid, KCMP_EPOLL_TFD, tfd, slot.address(), 0);
            return r == 0;
        }
    }
}
