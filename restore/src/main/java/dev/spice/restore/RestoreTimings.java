package dev.spice.restore;

/**
 * Where a restore spent its time, in nanoseconds (all from CLOCK_MONOTONIC, which both the JVM
 * and the restorer read): reading and validating the image; process creation, split into
 * spawning the launcher, creating the namespaces with the init in them, and the init's mounts
 * and clone of the process; emptying the address space and moving the vDSO; mapping memory;
 * files, kernel and thread state; and the report reaching the caller.
 */
public record RestoreTimings(long validation, long spawn, long namespaces, long init, long addressSpace,
        long memory, long state, long report) {

    public long processCreation() {
        return spawn + namespaces + init;
    }

    public long total() {
        return validation + processCreation() + addressSpace + memory + state + report;
    }

    @Override
    public String toString() {
        return String.format("total %.3f ms = validation %.3f + process creation %.3f (spawn %.3f, namespaces %.3f,"
                + " init %.3f) + address space %.3f + memory mapping %.3f + state %.3f + report %.3f", ms(total()),
                ms(validation), ms(processCreation()), ms(spawn), ms(namespaces), ms(init), ms(addressSpace),
                ms(memory), ms(state), ms(report));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
