package dev.spice.sys.proc;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** /proc/PID/status as keys and values. */
public final class ProcStatus {
    private final Map<String, String> fields = new LinkedHashMap<>();

    private ProcStatus(String text) {
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
    }

    public static ProcStatus read(int pid) {
        return new ProcStatus(ProcFiles.read(pid, "status"));
    }

    public static ProcStatus parse(String text) {
        return new ProcStatus(text);
    }

    public String get(String key) {
        String v = fields.get(key);
        if (v == null) {
            throw new IllegalStateException("/proc status has no " + key);
        }
        return v;
    }

    public long hex(String key) {
        return Long.parseUnsignedLong(get(key), 16);
    }

    public long number(String key) {
        return Long.parseLong(get(key).split("\\s+")[0]);
    }

    public long octal(String key) {
        return Long.parseLong(get(key), 8);
    }

    /** The whitespace-separated numbers of a field such as Uid or Groups. */
    public long[] numbers(String key) {
        String v = get(key);
        return v.isEmpty() ? new long[0] : Arrays.stream(v.split("\\s+")).mapToLong(Long::parseLong).toArray();
    }

    /** The first letter of State: R, S, D, T, t, Z, X... */
    public char state() {
        return get("State").charAt(0);
    }
}
