package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * Raw Linux system calls through the C library's variadic {@code syscall(2)}: one downcall
 * handle serves every call, and numbers come from {@link Nr}.
 */
public final class Syscall {
    private static final MethodHandle SYSCALL = Native.functionWithErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                    JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    private Syscall() {}

    /** Returns the result, or {@code -errno} when the call failed. */
    public static long raw(long nr, long a, long b, long c, long d, long e, long f) {
        MemorySegment capture = Native.capture();
        long r;
        try {
            r = (long) SYSCALL.invokeExact(capture, nr, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw new IllegalStateException("syscall downcall failed", t);
        }
        return r == -1 ? -Native.errno(capture) : r;
    }

    /** Returns the result or throws {@link ErrnoException} naming {@code call}; up to six arguments. */
    public static long call(String call, long nr, long... args) {
        long[] a = Arrays.copyOf(args, 6);
        long r = raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (r < 0 && r >= -4095) {
            throw new ErrnoException(call, (int) -r);
        }
        return r;
    }
}
