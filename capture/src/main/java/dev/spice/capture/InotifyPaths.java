package dev.spice.capture;

import dev.spice.sys.ErrnoException;
import dev.spice.sys.FileHandles;
import dev.spice.sys.Fds;
import dev.spice.sys.Nr;
import dev.spice.sys.Syscall;
import dev.spice.sys.proc.ProcFiles;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * The files that inotify watches, from what fdinfo shows of a watch: the file system (s_dev) and a
 * file handle. The handle is opened with open_by_handle_at on a mount of that file system as the
 * process sees it (/proc/PID/mountinfo, through /proc/PID/root), and named by its /proc/self/fd link.
 */
final class InotifyPaths {
    /** open_by_handle_at takes no O_PATH descriptor for the mount: a directory opened for reading. */
    private static final int O_DIRECTORY_CLOEXEC = 0200000 | 02000000, AT_FDCWD = -100;

    private final int pid;

    InotifyPaths(int pid) {
        this.pid = pid;
    }

    /** An O_PATH descriptor of the watched file; the caller closes it. */
    int open(int fd, long sdev, int handleType, String handleHex) {
        String majorMinor = (sdev >>> 20) + ":" + (sdev & 0xfffff);   // the kernel's MAJOR/MINOR split of s_dev
        String mountPoint = null;
        for (String line : ProcFiles.read(pid, "mountinfo").split("\n")) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[2].equals(majorMinor)) {
                mountPoint = f[4];
                break;
            }
        }
        if (mountPoint == null) {
            throw new CaptureRefusedException("inotify fd " + fd + " watches a file on device " + majorMinor
                    + ", which the process has not mounted");
        }
        int mountFd;
        try (Arena arena = Arena.ofConfined()) {
            String at = ProcFiles.path(pid, "root") + mountPoint;
            mountFd = (int) Syscall.call("open " + at, Nr.OPENAT, AT_FDCWD, arena.allocateFrom(at).address(),
                    O_DIRECTORY_CLOEXEC);
        }
        try {
            return FileHandles.open(mountFd, handleType, HexFormat.of().parseHex(handleHex));
        } catch (ErrnoException e) {
            throw new CaptureRefusedException("inotify fd " + fd + " watches a file whose handle cannot be opened ("
                    + e.getMessage() + "); it may have been deleted");
        } finally {
            Fds.close(mountFd);
        }
    }

    /** The path that a /proc/self/fd link names. */
    static String pathOf(String procLink) {
        try {
            return Files.readSymbolicLink(Path.of(procLink)).toString();
        } catch (IOException e) {
            throw new CaptureRefusedException("cannot name the file of " + procLink + ": " + e.getMessage());
        }
    }
}
