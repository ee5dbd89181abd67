package dev.spice.sys.proc;

/** /proc/PID/stat, numbered as in proc(5): field 1 is the PID, 2 the command name. */
public final class ProcStat {
    private final String[] afterName;

    private ProcStat(String text) {
        int close = text.lastIndexOf(')');
        afterName = text.substring(close + 2).strip().split(" ");
    }

    public static ProcStat read(int pid) {
        return new ProcStat(ProcFiles.read(pid, "stat"));
    }

    /** Field {@code n} (3 or more) as an unsigned number. */
    public long field(int n) {
        return Long.parseUnsignedLong(afterName[n - 3]);
    }
}
