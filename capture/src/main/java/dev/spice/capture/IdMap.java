package dev.spice.capture;

import dev.spice.sys.proc.ProcFiles;
import java.util.ArrayList;
import java.util.List;

/**
 * A process's uid_map or gid_map: /proc shows a process's ids as the host sees them, but an
 * image records them as the process sees them in its own user namespace, where it is restored
 * (a sandboxed instance runs as 1000 inside, an unprivileged id outside).
 */
final class IdMap {
    private record Range(long inside, long outside, long count) {}

    private final List<Range> ranges;

    private IdMap(List<Range> ranges) {
        this.ranges = ranges;
    }

    /** {@code file} is "uid_map" or "gid_map". */
    static IdMap of(int pid, String file) {
        List<Range> ranges = new ArrayList<>();
        for (String line : ProcFiles.read(pid, file).strip().split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 3) {
                ranges.add(new Range(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])));
            }
        }
        return new IdMap(ranges);
    }

    /** The ids as the process sees them; an id its namespace does not map is refused. */
    int[] inside(int pid, long[] hostIds) {
        int[] ids = new int[hostIds.length];
        for (int i = 0; i < hostIds.length; i++) {
            ids[i] = (int) inside(pid, hostIds[i]);
        }
        return ids;
    }

    private long inside(int pid, long hostId) {
        for (Range r : ranges) {
            if (hostId >= r.outside && hostId - r.outside < r.count) {
                return r.inside + (hostId - r.outside);
            }
        }
        throw new CaptureRefusedException("process " + pid + " has id " + hostId
                + ", which its user namespace does not map");
    }
}
