package dev.spice.capture;

import dev.spice.sys.proc.ProcFiles;
import dev.spice.sys.proc.ProcStatus;
import java.util.List;

/** Process-wide state that an image cannot reproduce; each check names what it found. */
final class Obstacles {
    /** The restorer's limit (restore/src/main/c/restorer.h, MAX_THREADS). */
    static final int MAX_THREADS = 512;

    private Obstacles() {}

    /** Checks that hold before attaching (cheap, and the process is left alone if they fail). */
    static void beforeAttach(int pid) {
        if (pid == ProcessHandle.current().pid()) {
            throw new CaptureRefusedException("cannot snapshot the snapshotting process itself");
        }
        ProcStatus status;
        try {
            status = ProcStatus.read(pid);
        } catch (ProcFiles.ProcessGoneException e) {
            throw new CaptureRefusedException("no process with PID " + pid);
        }
        if (status.state() == 'Z' || status.state() == 'X') {
            throw new CaptureRefusedException("process " + pid + " has already exited (zombie)");
        }
        if (status.number("Threads") > MAX_THREADS) {
            throw new CaptureRefusedException("process " + pid + " has " + status.number("Threads")
                    + " threads; at most " + MAX_THREADS + " can be restored");
        }
    }

    /** Checks on the stopped process, whose threads are {@code tids} (host TIDs). */
    static void whileStopped(int pid, List<Integer> tids) {
        ProcStatus status = ProcStatus.read(pid);
        if (tids.size() > MAX_THREADS) {
            throw new CaptureRefusedException("process " + pid + " has " + tids.size()
                    + " threads; at most " + MAX_THREADS + " can be restored");
        }
        for (int tid : tids) {
            String children = ProcFiles.read(pid, "task/" + tid + "/children").strip();
            if (!children.isEmpty()) {
                throw new CaptureRefusedException("process " + pid + " has child processes (" + children
                        + "); capturing process trees is not supported");
            }
            ProcStatus thread = ProcStatus.parse(ProcFiles.read(pid, "task/" + tid + "/status"));
            if (thread.hex("SigPnd") != 0 || thread.hex("ShdPnd") != 0) {
                throw new CaptureRefusedException(String.format(
                        "process %d has pending signals (thread %d 0x%x, process 0x%x); they would be lost", pid, tid,
                        thread.hex("SigPnd"), thread.hex("ShdPnd")));
            }
        }
        if (status.number("Seccomp") == 1) {
            throw new CaptureRefusedException("process " + pid + " runs in strict seccomp mode (only read, write, "
                    + "_exit and sigreturn), which cannot be restored");
        }
        if (!ProcFiles.read(pid, "timers").isBlank()) {
            throw new CaptureRefusedException("process " + pid + " has POSIX timers (timer_create), "
                    + "which are not supported");
        }
        String root = ProcFiles.readLink(pid, "root");
        if (!root.equals("/")) {
            throw new CaptureRefusedException("process " + pid + " runs in a chroot (" + root + "), which is not supported");
        }
    }
}
