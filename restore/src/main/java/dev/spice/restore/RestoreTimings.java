package dev.spice.restore;

/**
 * Where a restore spent its time, in nanoseconds (all from CLOCK_MONOTONIC, which both the JVM
 * and the restorer read): starting the launcher, init and restorer processes; emptying the
 * address space and moving the vDSO; mapping memory; files, kernel and thread state; and the
 * report reaching the caller.
 */
public record RestoreTimings(long processCreation, long addressSpace, long memory, long state, long report) {

    public long total() {
        return processCreation + addressSpace + memory + state + report;
    }

    @Override
    public String toString() {
        return String.format("total %.3f ms = process creation %.3f + address space %.3f + memory mapping %.3f"
                + " + state %.3f + report %.3f", ms(total()), ms(processCreation), ms(addressSpace), ms(memory),
                ms(state), ms(report));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
