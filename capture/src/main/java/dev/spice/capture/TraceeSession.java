package dev.spice.capture;

import dev.spice.image.Records.SeccompFilter;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.Errno;
import dev.spice.sys.Nr;
import dev.spice.sys.Processes;
import dev.spice.sys.ProcessMemory;
import dev.spice.sys.Ptrace;
import dev.spice.sys.SeccompProgram;
import dev.spice.sys.TracerThread;
import dev.spice.sys.UserRegs;
import java.util.ArrayList;
import java.util.List;

/**
 * A process held still under ptrace while it is captured. Attaches with PTRACE_SEIZE and stops
 * it with PTRACE_INTERRUPT, so no signal is sent; runs injected system calls in it by pointing
 * its registers at a {@code syscall} instruction of its vDSO and single-stepping; and at the end
 * puts its original registers back and either lets it go or kills it.
 *
 * <p>While injected calls run, the registers are not the process's own: if the tracer died then,
 * the process would resume at the vDSO's syscall instruction with foreign registers. For that
 * window only, PTRACE_O_EXITKILL makes the kernel kill it instead. Outside it the process waits in a
 * PTRACE_EVENT_STOP, so a tracer that dies (a {@code spice snapshot} killed mid-way) leaves it running
 * as if nothing happened.
 */
final class TraceeSession implements AutoCloseable {
    private static final int MAP_PRIVATE_ANONYMOUS = 0x22, PROT_RW = 3, PAGE = 4096;

    private final int pid;
    private final TracerThread tracer;
    private UserRegs original;
    private long syscallGadget;
    private List<SeccompProgram> filters = List.of();
    private long scratch;
    private boolean attached;
    private boolean registersChanged;

    private TraceeSession(int pid) {
        this.pid = pid;
        this.tracer = new TracerThread(pid);
    }

    /** Attaches and waits until the process is stopped. */
    static TraceeSession stop(int pid) {
        TraceeSession s = new TraceeSession(pid);
        try {
            s.tracer.run(s::seizeAndInterrupt);
        } catch (RuntimeException e) {
            s.tracer.close();
            throw e;
        }
        return s;
    }

    private void seizeAndInterrupt() {
        try {
            Ptrace.seize(pid);
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EPERM) {
                throw new CaptureRefusedException("cannot attach to process " + pid
                        + ": it is already traced, or we lack the privilege (run as root)");
            }
            if (e.errno() == Errno.ESRCH) {
                throw new CaptureRefusedException("no process with PID " + pid);
            }
            throw e;
        }
        attached = true;
        Ptrace.interrupt(pid);
        while (true) {
            int status = Ptrace.waitFor(pid);
            if (!Ptrace.stopped(status)) {
                attached = false;
                throw new CaptureRefusedException("process " + pid + " ended while being stopped");
            }
            if (Ptrace.stopEvent(status) == Ptrace.EVENT_STOP) {
                break;
            }
            // A signal was being delivered: let it through; the interrupt is still pending.
            Ptrace.cont(pid, Ptrace.stopSignal(status));
        }
        original = Ptrace.getRegs(pid);
    }

    int pid() {
        return pid;
    }

    UserRegs registers() {
        return original;
    }

    byte[] xstate() {
        return tracer.call(() -> Ptrace.getXstate(pid));
    }

    long sigmask() {
        return tracer.call(() -> Ptrace.getSigmask(pid));
    }

    Ptrace.RseqConfig rseq() {
        return tracer.call(() -> Ptrace.rseqConfiguration(pid));
    }

    /**
     * The process's seccomp filters, oldest first, read once; from then on every injected call is
     * first run through them here, because the kernel runs it through them in the process too.
     */
    List<SeccompFilter> seccompFilters() {
        List<SeccompFilter> found = tracer.call(() -> {
            List<SeccompFilter> oldestFirst = new ArrayList<>();
            for (int i = 0; ; i++) {
                byte[] program = Ptrace.seccompFilter(pid, i);
                if (program == null) {
                    return oldestFirst;
                }
                oldestFirst.add(new SeccompFilter((int) Ptrace.seccompFilterFlags(pid, i), program));
            }
        });
        List<SeccompProgram> programs = new ArrayList<>();
        for (SeccompFilter f : found) {
            SeccompProgram program = new SeccompProgram(f.program());
            if (program.mayNotifyUser()) {
                throw new CaptureRefusedException("process " + pid + " has a seccomp filter that hands calls to a "
                        + "user-space supervisor (SECCOMP_RET_USER_NOTIF), which cannot be restored");
            }
            programs.add(program);
        }
        filters = programs;
        return found;
    }

    /** The address of a {@code syscall} instruction in the tracee's vDSO, found once. */
    void useSyscallGadget(long address) {
        this.syscallGadget = address;
    }

    /** Runs a system call inside the tracee and returns its raw result (negative errno on failure). */
    long inject(long nr, long... args) {
        if (syscallGadget == 0) {
            throw new IllegalStateException("no syscall instruction to inject with");
        }
        for (SeccompProgram filter : filters) {     // a denied call would fail, trap or kill it
            int ret = filter.evaluate((int) nr, syscallGadget + 2, args);
            if (!SeccompProgram.allows(ret)) {
                throw new CaptureRefusedException("process " + pid + " has a seccomp filter that answers system call "
                        + nr + " with " + SeccompProgram.describe(ret) + "; capture injects that call to read the "
                        + "process's state, so it cannot capture this process");
            }
        }
        return tracer.call(() -> {
            if (!registersChanged) {
                Ptrace.setOptions(pid, Ptrace.O_EXITKILL);
                registersChanged = true;
            }
            UserRegs r = original.with(UserRegs.RAX, nr).with(UserRegs.ORIG_RAX, -1)
                    .with(UserRegs.RIP, syscallGadget);
            int[] argRegs = {UserRegs.RDI, UserRegs.RSI, UserRegs.RDX, UserRegs.R10, UserRegs.R8, UserRegs.R9};
            for (int i = 0; i < argRegs.length; i++) {
                r = r.with(argRegs[i], i < args.length ? args[i] : 0);
            }
            Ptrace.setRegs(pid, r);
            Ptrace.singleStep(pid);
            int status = Ptrace.waitFor(pid);
            if (!Ptrace.stopped(status) || Ptrace.stopSignal(status) != Ptrace.SIGTRAP) {
                throw new IllegalStateException("injected syscall " + nr + " in " + pid
                        + " did not come back (wait status 0x" + Integer.toHexString(status) + ")");
            }
            return Ptrace.getRegs(pid).rax();
        });
    }

    /** One page of memory in the tracee for the results of injected calls (freed by {@link #releaseScratch}). */
    long scratch() {
        if (scratch == 0) {
            long addr = inject(Nr.MMAP, 0, PAGE, PROT_RW, MAP_PRIVATE_ANONYMOUS, -1, 0);
            if (addr < 0 && addr > -4096) {
                throw new ErrnoException("mmap in the tracee", (int) -addr);
            }
            scratch = addr;
        }
        return scratch;
    }

    byte[] readScratch(int length) {
        return ProcessMemory.read(pid, scratch, length);
    }

    /** Frees the scratch page and ends the injection: the registers are the process's own again. */
    void releaseScratch() {
        if (scratch != 0) {
            inject(Nr.MUNMAP, scratch, PAGE);
            scratch = 0;
        }
        if (registersChanged) {
            tracer.run(() -> {
                Ptrace.setRegs(pid, original);
                parkInEventStop();
                Ptrace.setOptions(pid, 0);
            });
            registersChanged = false;
        }
    }

    /**
     * Moves the tracee from the SIGTRAP stop of the last single step into a PTRACE_EVENT_STOP, where
     * it was when seized. A tracer dying in a signal-delivery stop makes the kernel deliver that
     * signal (SIGTRAP would kill the process with a core dump); in an event stop it delivers nothing.
     * Resumed without a signal, the tracee takes the pending interrupt before it dequeues any other.
     */
    private void parkInEventStop() {
        Ptrace.interrupt(pid);
        Ptrace.cont(pid, 0);
        int status = Ptrace.waitFor(pid);
        if (!Ptrace.stopped(status) || Ptrace.stopEvent(status) != Ptrace.EVENT_STOP) {
            throw new IllegalStateException("process " + pid + " did not stop again after the injected calls"
                    + " (wait status 0x" + Integer.toHexString(status) + ")");
        }
    }

    /** Puts the registers back and lets the process continue (an interrupted syscall restarts). */
    void release() {
        if (attached) {
            tracer.run(() -> {
                Ptrace.setRegs(pid, original);
                Ptrace.detach(pid);
            });
            attached = false;
        }
    }

    /** Kills the process (after a successful capture without --leave-running) and waits for its end. */
    void kill() {
        tracer.run(() -> {
            Processes.kill(pid, Processes.SIGKILL);
            while (Ptrace.stopped(Ptrace.waitFor(pid))) {
                // stops reported before the kill took effect
            }
        });
        attached = false;
    }

    @Override
    public void close() {
        try {
            if (attached) {
                try {
                    releaseScratch();
                } finally {
                    release();
                }
            }
        } finally {
            tracer.close();
        }
    }
}
