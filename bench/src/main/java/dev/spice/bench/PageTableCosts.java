package dev.spice.bench;

import dev.spice.sys.Nr;
import dev.spice.sys.Syscall;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;

/**
 * What this machine charges for the three things a restore does most: a system call, a page
 * fault, and the first user-mode access to a page whose entry the kernel has just filled in
 * (MADV_POPULATE_WRITE). On bare metal the last is a few nanoseconds; under a hypervisor that
 * shadows the guest's page tables (no nested paging) it is an exit to the hypervisor per page, and
 * every restore and every first invocation after it pays it per page (docs/ablation.md, "The
 * first touch of a populated page"). Measured on 4096 anonymous pages, the best of five rounds;
 * a second pass over the same pages gives the loop's own cost, which is subtracted.
 */
record PageTableCosts(double syscallMicros, double faultMicros, double firstTouchMicros) {
    private static final long MADV_POPULATE_WRITE = 23;
    private static final long MADV_NOHUGEPAGE = 15;
    private static final long PROT_RW = 3;
    private static final long MAP_PRIVATE_ANONYMOUS = 0x22;
    private static final int PAGES = 4096;
    private static final long PAGE = 4096;
    private static final int ROUNDS = 5;

    static PageTableCosts measure() {
        double[] syscall = new double[ROUNDS];
        double[] fault = new double[ROUNDS];
        double[] touch = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            syscall[r] = timeSyscalls();
            fault[r] = perPageMicros(false);
            touch[r] = perPageMicros(true);
        }
        return new PageTableCosts(best(syscall), best(fault), best(touch));
    }

    String describe() {
        return String.format(Locale.ROOT, "a system call %.2f us, a page fault %.2f us, the first access to a "
                + "populated page %.2f us", syscallMicros, faultMicros, firstTouchMicros);
    }

    private static double best(double[] values) {
        return Arrays.stream(values).min().orElse(0);
    }

    private static double timeSyscalls() {
        int calls = 20_000;
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            Syscall.raw(Nr.GETPPID, 0, 0, 0, 0, 0, 0);
        }
        return (System.nanoTime() - start) / 1e3 / calls;
    }

    /** Per page: a write fault on fresh memory, or (populated) the first read of a present page. */
    private static double perPageMicros(boolean populated) {
        long len = PAGES * PAGE;
        long address = Syscall.call("mmap", Nr.MMAP, 0, len, PROT_RW, MAP_PRIVATE_ANONYMOUS, -1, 0);
        try {
            Syscall.call("madvise", Nr.MADVISE, address, len, MADV_NOHUGEPAGE);
            if (populated) {
                Syscall.call("madvise", Nr.MADVISE, address, len, MADV_POPULATE_WRITE);
            }
            MemorySegment pages = MemorySegment.ofAddress(address).reinterpret(len);
            long first = pass(pages, !populated);
            long second = pass(pages, !populated);
            return Math.max(0, first - second) / 1e3 / PAGES;
        } finally {
            Syscall.call("munmap", Nr.MUNMAP, address, len);
        }
    }

    private static long pass(MemorySegment pages, boolean write) {
        long start = System.nanoTime();
        long sum = 0;
        for (long offset = 0; offset < pages.byteSize(); offset += PAGE) {
            if (write) {
                pages.set(ValueLayout.JAVA_BYTE, offset, (byte) 1);
            } else {
                sum += pages.get(ValueLayout.JAVA_BYTE, offset);
            }
        }
        long elapsed = System.nanoTime() - start;
        return sum == Long.MIN_VALUE ? 0 : elapsed;      // keeps the reads from being optimised away
    }
}
