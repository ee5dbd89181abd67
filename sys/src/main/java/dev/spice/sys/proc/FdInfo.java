package dev.spice.sys.proc;

/** /proc/PID/fdinfo/FD: offset, open flags (with O_CLOEXEC), and whether locks are held. */
public record FdInfo(long pos, int flags, long mountId, boolean hasLocks) {

    public static FdInfo read(int pid, int fd) {
        return parse(ProcFiles.read(pid, "fdinfo/" + fd));
    }

    static FdInfo parse(String text) {
        long pos = 0;
        int flags = 0;
        long mountId = 0;
        boolean locks = false;
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String value = line.substring(colon + 1).strip();
            switch (line.substring(0, colon)) {
                case "pos" -> pos = Long.parseLong(value);
                case "flags" -> flags = Integer.parseInt(value, 8);
                case "mnt_id" -> mountId = Long.parseLong(value);
                case "lock" -> locks = true;
                default -> { }
            }
        }
        return new FdInfo(pos, flags, mountId, locks);
    }
}
