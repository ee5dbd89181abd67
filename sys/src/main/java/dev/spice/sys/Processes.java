package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Signals and waits on processes by PID. */
public final class Processes {
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    private static final int WNOHANG = 1, WALL = 0x40000000;

    private Processes() {}

    /** Sends a signal; returns false if the process no longer exists. */
    public static boolean kill(int pid, int signal) {
        long r = Syscall.raw(Nr.KILL, pid, signal, 0, 0, 0, 0);
        if (r == -Errno.ESRCH) {
            return false;
        }
        if (r < 0) {
            throw new ErrnoException("kill " + pid, (int) -r);
        }
        return true;
    }

    /** Waits for a child to end and returns its wait status. */
    public static int waitFor(int pid) {
        return waitpid(pid, 0);
    }

    /** The wait status of an ended child, or -1 while it still runs. */
    public static int poll(int pid) {
        return waitpid(pid, WNOHANG);
    }

    private static int waitpid(int pid, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                long r = Syscall.raw(Nr.WAIT4, pid, status.address(), flags | WALL, 0, 0, 0);
                if (r == -Errno.EINTR) {
                    continue;
                }
                if (r < 0) {
                    throw new ErrnoException("wait4 " + pid, (int) -r);
                }
                return r == 0 ? -1 : status.get(JAVA_INT, 0);
            }
        }
    }

    /** The shell's view of a wait status: the exit code, or 128 + the signal that killed it. */
    public static int exitCode(int status) {
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
    }

    /**
     * Makes this process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER): the
     * init of a detached restore then becomes our child when its launcher exits.
     */
    public static void becomeSubreaper() {
        Syscall.call("prctl(PR_SET_CHILD_SUBREAPER)", Nr.PRCTL, 36, 1);
    }

    /** Whether a process with this PID exists (zombies included). */
    public static boolean alive(int pid) {
        return Syscall.raw(Nr.KILL, pid, 0, 0, 0, 0, 0) == 0;
    }
}
