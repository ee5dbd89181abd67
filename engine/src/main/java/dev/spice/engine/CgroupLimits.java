package dev.spice.engine;

/**
 * What an instance's cgroups allow it, from its manifest.
 *
 * @param memoryBytes      the memory limit
 * @param cpuQuotaUs       CPU time per {@link #CPU_PERIOD_US} (CFS bandwidth), or -1 for no quota
 * @param cpuShares        its weight against other instances when the CPU is contended (v1 shares; v2 weight derived)
 * @param ioBytesPerSecond read and write bytes per second on each disk instances read from, or 0 for no limit
 */
record CgroupLimits(long memoryBytes, long cpuQuotaUs, int cpuShares, long ioBytesPerSecond) {
    /** The CFS period a quota is a share of: the kernel's default, 100 ms. */
    static final long CPU_PERIOD_US = 100_000;
    /** Lambda gives a function one vCPU at 1,769 MB of memory and a proportional share below and above. */
    static final int LAMBDA_MB_PER_CORE = 1769;
    /** The weight of one core: cgroup v1's default cpu.shares. */
    private static final int SHARES_PER_CORE = 1024;

    /**
     * A manifest's {@code cpu} (cores) becomes a quota and a weight of that many cores; without it
     * the weight follows memory_mb as Lambda's CPU does, with no quota (an idle machine lends it
     * all its cores). {@code io_mbps} is MiB/s.
     */
    static CgroupLimits of(FunctionManifest m) {
        long memory = (long) m.memoryMb() << 20;
        long io = m.ioMbps() == null ? 0 : (long) m.ioMbps() << 20;
        if (m.cpu() == null) {
            return new CgroupLimits(memory, -1, shares((double) m.memoryMb() / LAMBDA_MB_PER_CORE), io);
        }
        return new CgroupLimits(memory, Math.round(m.cpu() * CPU_PERIOD_US), shares(m.cpu()), io);
    }

    /** What a zygote is prepared with before anyone asks for it. */
    static CgroupLimits initial() {
        return new CgroupLimits(128L << 20, -1, shares(128.0 / LAMBDA_MB_PER_CORE), 0);
    }

    /** cgroup v2's cpu.weight (1-10000, default 100) for the same share as v1's cpu.shares (2-262144, default 1024). */
    int cpuWeight() {
        return (int) Math.clamp(Math.round(cpuShares * 100.0 / SHARES_PER_CORE), 1, 10_000);
    }

    private static int shares(double cores) {
        return (int) Math.clamp(Math.round(cores * SHARES_PER_CORE), 2, 262_144);
    }
}
