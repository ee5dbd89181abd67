package dev.spice.sys.proc;

/** Page-fault counters of a process (fields 10 and 12 of /proc/PID/stat). */
public final class PageFaults {
    private PageFaults() {}

    /** {minor, major} so far, or {-1, -1} if the process is gone. */
    public static long[] of(int pid) {
        try {
            ProcStat stat = ProcStat.read(pid);
            return new long[] {stat.field(10), stat.field(12)};
        } catch (ProcFiles.ProcessGoneException e) {
            return new long[] {-1, -1};
        }
    }

    /** The faults taken since {@code before}; {-1, -1} if unknown. */
    public static long[] since(int pid, long[] before) {
        long[] now = of(pid);
        return before[0] < 0 || now[0] < 0 ? new long[] {-1, -1} : new long[] {now[0] - before[0], now[1] - before[1]};
    }
}
