package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** ptrace(2) requests; call them only from the {@link TracerThread} of the tracee. */
public final class Ptrace {
    private static final long GETREGS = 12, SETREGS = 13, CONT = 7, SINGLESTEP = 9, DETACH = 17;
    private static final long SETOPTIONS = 0x4200, GETREGSET = 0x4204, SEIZE = 0x4206,
            INTERRUPT = 0x4207, GETSIGMASK = 0x420a,
            SECCOMP_GET_FILTER = 0x420c, SECCOMP_GET_METADATA = 0x420d, GET_RSEQ_CONFIGURATION = 0x420f;
    private static final long NT_X86_XSTATE = 0x202;
    private static final int WALL = 0x40000000;
    /** Status high byte of a PTRACE_EVENT_STOP (seize/interrupt stop). */
    public static final int EVENT_STOP = 128;
    public static final int SIGTRAP = 5;
    public static final int SIGSTOP = 19;
    /** Option: the kernel kills the tracee if the tracer exits. */
    public static final long O_EXITKILL = 1L << 20;
    /** Largest XSAVE area this code accepts (AMX tile data makes it ~11 KiB). */
    private static final int MAX_XSTATE = 16384;

    /** rseq registration of a thread; {@code size == 0} means none. */
    public record RseqConfig(long address, int size, int flags, int signature) {}

    private Ptrace() {}

    private static long ptrace(String what, long request, int pid, long addr, long data) {
        return Syscall.call("ptrace(" + what + ")", Nr.PTRACE, request, pid, addr, data);
    }

    /** Attaches without stopping the tracee; it stops on {@link #interrupt}. */
    public static void seize(int pid) {
        ptrace("PTRACE_SEIZE", SEIZE, pid, 0, 0);
    }

    public static void setOptions(int pid, long options) {
        ptrace("PTRACE_SETOPTIONS", SETOPTIONS, pid, 0, options);
    }

    public static void interrupt(int pid) {
        ptrace("PTRACE_INTERRUPT", INTERRUPT, pid, 0, 0);
    }

    /** Waits for the next state change of the tracee; returns the raw wait status. */
    public static int waitFor(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                long r = Syscall.raw(Nr.WAIT4, pid, status.address(), WALL, 0, 0, 0);
                if (r == -Errno.EINTR) {
                    continue;
                }
                if (r < 0) {
                    throw new ErrnoException("wait4", (int) -r);
                }
                return status.get(JAVA_INT, 0);
            }
        }
    }

    public static boolean stopped(int status) {
        return (status & 0xff) == 0x7f;
    }

    public static int stopSignal(int status) {
        return (status >> 8) & 0xff;
    }

    public static int stopEvent(int status) {
        return (status >> 16) & 0xff;
    }

    public static UserRegs getRegs(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = arena.allocate(JAVA_LONG, UserRegs.COUNT);
            ptrace("PTRACE_GETREGS", GETREGS, pid, 0, regs.address());
            return new UserRegs(regs.toArray(JAVA_LONG));
        }
    }

    public static void setRegs(int pid, UserRegs values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = arena.allocateFrom(JAVA_LONG, values.toArray());
            ptrace("PTRACE_SETREGS", SETREGS, pid, 0, regs.address());
        }
    }

    /** The thread's XSAVE area (x87, SSE, AVX, ...) in the standard, non-compacted format. */
    public static byte[] getXstate(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(MAX_XSTATE, 64);
            MemorySegment iov = arena.allocate(16);
            iov.set(JAVA_LONG, 0, buf.address());
            iov.set(JAVA_LONG, 8, MAX_XSTATE);
            ptrace("PTRACE_GETREGSET(NT_X86_XSTATE)", GETREGSET, pid, NT_X86_XSTATE, iov.address());
            return buf.asSlice(0, iov.get(JAVA_LONG, 8)).toArray(JAVA_BYTE);
        }
    }

    public static long getSigmask(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(JAVA_LONG);
            ptrace("PTRACE_GETSIGMASK", GETSIGMASK, pid, 8, mask.address());
            return mask.get(JAVA_LONG, 0);
        }
    }

    public static RseqConfig rseqConfiguration(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment conf = arena.allocate(32);
            long size = ptrace("PTRACE_GET_RSEQ_CONFIGURATION", GET_RSEQ_CONFIGURATION, pid,
                    conf.byteSize(), conf.address());
            if (size < 24) {
                return new RseqConfig(0, 0, 0, 0);
            }
            return new RseqConfig(conf.get(JAVA_LONG, 0), conf.get(JAVA_INT, 8),
                    conf.get(JAVA_INT, 12), conf.get(JAVA_INT, 16));
        }
    }

    /**
     * The tracee's seccomp filter number {@code index} as the bytes of its {@code struct sock_filter}
     * array; null past the last (ENOENT). Index 0 is the oldest filter, whatever ptrace(2) says: the
     * kernel's get_nth_filter counts back from the newest by (count - index), as measured on 6.18.
     */
    public static byte[] seccompFilter(int pid, int index) {
        long count = Syscall.raw(Nr.PTRACE, SECCOMP_GET_FILTER, pid, index, 0, 0, 0);
        if (count == -Errno.ENOENT) {
            return null;
        }
        if (count < 0) {
            throw new ErrnoException("ptrace(PTRACE_SECCOMP_GET_FILTER)", (int) -count);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(8, count * 8), 8);
            long n = ptrace("PTRACE_SECCOMP_GET_FILTER", SECCOMP_GET_FILTER, pid, index, buf.address());
            return buf.asSlice(0, n * 8).toArray(JAVA_BYTE);
        }
    }

    /** The flags (SECCOMP_FILTER_FLAG_LOG is the only one the kernel reports) of filter {@code index}. */
    public static long seccompFilterFlags(int pid, int index) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment meta = arena.allocate(16);          // struct seccomp_metadata {filter_off, flags}
            meta.set(JAVA_LONG, 0, index);
            ptrace("PTRACE_SECCOMP_GET_METADATA", SECCOMP_GET_METADATA, pid, meta.byteSize(), meta.address());
            return meta.get(JAVA_LONG, 8);
        }
    }

    public static void singleStep(int pid) {
        ptrace("PTRACE_SINGLESTEP", SINGLESTEP, pid, 0, 0);
    }

    public static void cont(int pid, int signal) {
        ptrace("PTRACE_CONT", CONT, pid, 0, signal);
    }

    public static void detach(int pid) {
        ptrace("PTRACE_DETACH", DETACH, pid, 0, 0);
    }
}
