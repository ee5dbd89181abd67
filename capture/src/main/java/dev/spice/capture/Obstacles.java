package dev.spice.capture;

import dev.spice.sys.proc.ProcFiles;
import dev.spice.sys.proc.ProcStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.stream.Stream;

/** Process-wide state that an image cannot reproduce; each check names what it found. */
final class Obstacles {
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
        if (status.number("Threads") > 1) {
            throw new CaptureRefusedException("process " + pid + " has " + status.number("Threads")
                    + " threads; multi-threaded capture is not supported yet");
        }
    }

    /** Checks on the stopped process. */
    static void whileStopped(int pid) {
        ProcStatus status = ProcStatus.read(pid);
        if (status.number("Threads") > 1) {
            throw new CaptureRefusedException("process " + pid + " has " + status.number("Threads")
                    + " threads; multi-threaded capture is not supported yet");
        }
        String children = ProcFiles.read(pid, "task/" + pid + "/children").strip();
        if (!children.isEmpty()) {
            throw new CaptureRefusedException("process " + pid + " has child processes (" + children
                    + "); capturing process trees is not supported");
        }
        if (status.hex("SigPnd") != 0 || status.hex("ShdPnd") != 0) {
            throw new CaptureRefusedException(String.format(
                    "process %d has pending signals (thread 0x%x, process 0x%x); they would be lost", pid,
                    status.hex("SigPnd"), status.hex("ShdPnd")));
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
        try (Stream<?> tasks = Files.list(ProcFiles.path(pid, "task"))) {
            if (tasks.count() > 1) {
                throw new CaptureRefusedException("process " + pid + " has more than one thread");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
