package dev.spice.sys.proc;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Parses /proc/PID/smaps, or the cheaper /proc/PID/maps (whose mappings have no VmFlags), into
 * {@link Mapping}s.
 */
public final class Smaps {
    private Smaps() {}

    /** Every mapping with its VmFlags (the kernel also counts pages for this file: slower). */
    public static List<Mapping> read(int pid) {
        return parse(ProcFiles.read(pid, "smaps"));
    }

    /** Every mapping, without VmFlags. */
    public static List<Mapping> readMaps(int pid) {
        return parse(ProcFiles.read(pid, "maps"));
    }

    static List<Mapping> parse(String text) {
        List<Mapping> result = new ArrayList<>();
        String[] header = null;
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            if (isHeader(line)) {
                if (header != null) {
                    result.add(toMapping(header, Set.of()));
                }
                header = splitHeader(line);
            } else if (line.startsWith("VmFlags:") && header != null) {
                result.add(toMapping(header, Set.of(line.substring(8).trim().split(" +"))));
                header = null;
            }
        }
        if (header != null) {
            result.add(toMapping(header, Set.of()));
        }
        return result;
    }

    /** Header lines start with "start-end", other lines with "Key:". */
    private static boolean isHeader(String line) {
        int dash = line.indexOf('-');
        int colon = line.indexOf(':');
        return dash > 0 && (colon < 0 || dash < colon) && Character.digit(line.charAt(0), 16) >= 0
                && line.indexOf(' ') > dash;
    }

    /** start-end perms offset dev inode [name], where the name may contain spaces. */
    private static String[] splitHeader(String line) {
        String[] parts = new String[6];
        int pos = 0;
        for (int i = 0; i < 5; i++) {
            while (pos < line.length() && line.charAt(pos) == ' ') {
                pos++;
            }
            int end = line.indexOf(' ', pos);
            if (end < 0) {
                end = line.length();
            }
            parts[i] = line.substring(pos, end);
            pos = end;
        }
        parts[5] = pos < line.length() ? line.substring(pos).strip() : "";
        return parts;
    }

    private static Mapping toMapping(String[] h, Set<String> flags) {
        int dash = h[0].indexOf('-');
        int colon = h[3].indexOf(':');
        return new Mapping(Long.parseUnsignedLong(h[0].substring(0, dash), 16),
                Long.parseUnsignedLong(h[0].substring(dash + 1), 16), h[1].charAt(0) == 'r',
                h[1].charAt(1) == 'w', h[1].charAt(2) == 'x', h[1].charAt(3) == 's',
                Long.parseUnsignedLong(h[2], 16), Integer.parseInt(h[3].substring(0, colon), 16),
                Integer.parseInt(h[3].substring(colon + 1), 16), Long.parseLong(h[4]), h[5], flags);
    }
}
