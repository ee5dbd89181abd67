package dev.spice.bench;

/**
 * One measured invocation. Times in nanoseconds; for spice modes the restore's phases, for boot
 * the boot time, for all the first response. pssBytes is the serving instance's proportional
 * set size afterwards; diskReadBytes what all disks read meanwhile (cold modes); minorFaults and
 * majorFaults the instance's page faults during the invocation (-1 where not known, as for CRIU).
 */
record Measurement(String function, Mode mode, int run, long latencyNanos, long restoreNanos, long validationNanos,
        long processCreationNanos, long addressSpaceNanos, long memoryNanos, long stateNanos, long bootNanos,
        long firstResponseNanos, long pssBytes, long diskReadBytes, long minorFaults, long majorFaults,
        boolean verified, String path) {}
