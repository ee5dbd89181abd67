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
import dev.spice.sys.proc.ProcFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A process held still under ptrace while it is captured, every thread of it. Attaches each thread
 * with PTRACE_SEIZE and stops it with PTRACE_INTERRUPT, so no signal is sent, listing
 * /proc/PID/task again until no new thread appears (threads may start while the others are being
 * stopped; a stopped thread starts none); runs injected system calls in any of them by pointing its
 * registers at a {@code syscall} instruction of the vDSO and single-stepping; and at the end puts
 * their original registers back and either lets them all go or kills the process.
 *
 * <p>While injected calls run, a thread's registers are not its own: if the tracer died then, it
 * would resume at the vDSO's syscall instruction with foreign registers. For that window only,
 * PTRACE_O_EXITKILL makes the kernel kill it instead. Outside it every thread waits in a
 * PTRACE_EVENT_STOP, so a tracer that dies (a {@code spice snapshot} killed mid-way) leaves the
 * process running as if nothing happened.
 */
final class TraceeSession implements AutoCloseable {
    private static final int MAP_PRIVATE_ANONYMOUS = 0x22, PROT_RW = 3, PAGE = 4096;

    /** A stopped thread: its host TID, its registers when stopped, whether injection changed them. */
    private static final class Stopped {
        final int tid;
        final UserRegs original;
        boolean registersChanged;

        Stopped(int tid, UserRegs original) {
            this.tid = tid;
            this.original = original;
        }
    }

    private final int pid;
    private final TracerThread tracer;
    private final Map<Integer, Stopped> threads = new LinkedHashMap<>();   // the leader first
    private final Set<Integer> attached = new LinkedHashSet<>();
    private long syscallGadget;
    private List<SeccompProgram> filters = List.of();
    private long scratch;

    private TraceeSession(int pid) {
        this.pid = pid;
        this.tracer = new TracerThread(pid);
    }

    /** Attaches to every thread and waits until all are stopped; on failure none stays attached. */
    static TraceeSession stop(int pid) {
        TraceeSession s = new TraceeSession(pid);
        try {
            s.tracer.run(s::seizeAll);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void seizeAll() {
        Set<Integer> seen = new HashSet<>();
        while (true) {
            List<Integer> fresh = new ArrayList<>();
            for (int tid : listTasks()) {
                if (seen.add(tid) && seize(tid)) {
                    fresh.add(tid);
                }
            }
            if (fresh.isEmpty()) {
                break;
            }
            for (int tid : fresh) {             // all interrupted at once, then each stop awaited
                awaitStop(tid);
            }
        }
        if (!threads.containsKey(pid)) {
            throw new CaptureRefusedException("process " + pid + " ended while being stopped");
        }
        // The leader first: its record is the process's, and the restorer becomes it.
        Map<Integer, Stopped> ordered = new LinkedHashMap<>();
        ordered.put(pid, threads.get(pid));
        ordered.putAll(threads);
        threads.clear();
        threads.putAll(ordered);
    }

    private List<Integer> listTasks() {
        try (Stream<Path> tasks = Files.list(ProcFiles.path(pid, "task"))) {
            return tasks.map(p -> Integer.parseInt(p.getFileName().toString())).sorted().toList();
        } catch (IOException e) {
            throw new CaptureRefusedException("process " + pid + " ended while being stopped");
        }
    }

    /** Seizes one thread and asks it to stop; false if it ended meanwhile (it is simply not there). */
    private boolean seize(int tid) {
        try {
            Ptrace.seize(tid);
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EPERM) {
                throw new CaptureRefusedException("cannot attach to process " + pid
                        + ": it is already traced, or we lack the privilege (run as root)");
            }
            if (e.errno() == Errno.ESRCH) {
                if (tid == pid) {
                    throw new CaptureRefusedException("no process with PID " + pid);
                }
                return false;
            }
            throw e;
        }
        attached.add(tid);
        try {
            Ptrace.interrupt(tid);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        }
        return true;
    }

    /** Waits for a seized thread's interrupt stop; a thread that ends instead is dropped. */
    private void awaitStop(int tid) {
        while (true) {
            int status = Ptrace.waitFor(tid);
            if (!Ptrace.stopped(status)) {
                attached.remove(tid);           // it ended
                return;
            }
            if (Ptrace.stopEvent(status) == Ptrace.EVENT_STOP) {
                break;
            }
            // A signal was being delivered: let it through; the interrupt is still pending.
            Ptrace.cont(tid, Ptrace.stopSignal(status));
        }
        threads.put(tid, new Stopped(tid, Ptrace.getRegs(tid)));
    }

    int pid() {
        return pid;
    }

    /** The host TIDs of the stopped threads, the leader (TID = PID) first. */
    List<Integer> tids() {
        return List.copyOf(threads.keySet());
    }

    UserRegs registers(int tid) {
        return thread(tid).original;
    }

    /** What ptrace shows of a stopped thread besides its registers. */
    record ThreadRegisters(byte[] xstate, long sigmask, Ptrace.RseqConfig rseq) {}

    /** Read in one visit to the tracer thread, as a capture does it for every thread. */
    ThreadRegisters threadRegisters(int tid) {
        thread(tid);
        return tracer.call(() -> new ThreadRegisters(Ptrace.getXstate(tid), Ptrace.getSigmask(tid),
                Ptrace.rseqConfiguration(tid)));
    }

    private Stopped thread(int tid) {
        Stopped t = threads.get(tid);
        if (t == null) {
            throw new IllegalArgumentException("thread " + tid + " of " + pid + " is not stopped");
        }
        return t;
    }

    /**
     * The process's seccomp filters, oldest first, read once; from then on every injected call is
     * first run through them here, because the kernel runs it through them in the process too.
     */
    List<SeccompFilter> seccompFilters() {
        List<SeccompFilter> found = filtersOf(pid);
        for (int tid : threads.keySet()) {
            if (tid != pid && !sameFilters(found, filtersOf(tid))) {
                // The restorer installs one stack of filters for all threads (SECCOMP_FILTER_FLAG_TSYNC).
                throw new CaptureRefusedException("thread " + tid + " of process " + pid + " runs under other seccomp "
                        + "filters than the main thread, which cannot be restored");
            }
        }
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

    private List<SeccompFilter> filtersOf(int tid) {
        return tracer.call(() -> {
            List<SeccompFilter> oldestFirst = new ArrayList<>();
            for (int i = 0; ; i++) {
                byte[] program = Ptrace.seccompFilter(tid, i);
                if (program == null) {
                    return oldestFirst;
                }
                oldestFirst.add(new SeccompFilter((int) Ptrace.seccompFilterFlags(tid, i), program));
            }
        });
    }

    private static boolean sameFilters(List<SeccompFilter> a, List<SeccompFilter> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).flags() != b.get(i).flags() || !Arrays.equals(a.get(i).program(), b.get(i).program())) {
                return false;
            }
        }
        return true;
    }

    /** The address of a {@code syscall} instruction in the tracee's vDSO, found once. */
    void useSyscallGadget(long address) {
        this.syscallGadget = address;
    }

    /** Runs a system call in the main thread and returns its raw result (negative errno on failure). */
    long inject(long nr, long... args) {
        return injectIn(pid, nr, args);
    }

    /** Runs a system call in thread {@code tid} (the others stay stopped) and returns its raw result. */
    long injectIn(int tid, long nr, long... args) {
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
        Stopped t = thread(tid);
        return tracer.call(() -> {
            if (!t.registersChanged) {
                Ptrace.setOptions(tid, Ptrace.O_EXITKILL);
                t.registersChanged = true;
            }
            UserRegs r = t.original.with(UserRegs.RAX, nr).with(UserRegs.ORIG_RAX, -1)
                    .with(UserRegs.RIP, syscallGadget);
            int[] argRegs = {UserRegs.RDI, UserRegs.RSI, UserRegs.RDX, UserRegs.R10, UserRegs.R8, UserRegs.R9};
            for (int i = 0; i < argRegs.length; i++) {
                r = r.with(argRegs[i], i < args.length ? args[i] : 0);
            }
            Ptrace.setRegs(tid, r);
            Ptrace.singleStep(tid);
            int status = Ptrace.waitFor(tid);
            if (!Ptrace.stopped(status) || Ptrace.stopSignal(status) != Ptrace.SIGTRAP) {
                throw new IllegalStateException("injected syscall " + nr + " in thread " + tid + " of " + pid
                        + " did not come back (wait status 0x" + Integer.toHexString(status) + ")");
            }
            return Ptrace.getRegs(tid).rax();
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

    /** Frees the scratch page and ends the injection: the registers are the threads' own again. */
    void releaseScratch() {
        if (scratch != 0) {
            inject(Nr.MUNMAP, scratch, PAGE);
            scratch = 0;
        }
        tracer.run(() -> {
            for (Stopped t : threads.values()) {
                if (t.registersChanged) {
                    Ptrace.setRegs(t.tid, t.original);
                    parkInEventStop(t.tid);
                    Ptrace.setOptions(t.tid, 0);
                    t.registersChanged = false;
                }
            }
        });
    }

    /**
     * Moves a thread from the SIGTRAP stop of the last single step into a PTRACE_EVENT_STOP, where
     * it was when seized. A tracer dying in a signal-delivery stop makes the kernel deliver that
     * signal (SIGTRAP would kill the process with a core dump); in an event stop it delivers nothing.
     * Resumed without a signal, the thread takes the pending interrupt before it dequeues any other.
     */
    private void parkInEventStop(int tid) {
        Ptrace.interrupt(tid);
        Ptrace.cont(tid, 0);
        int status = Ptrace.waitFor(tid);
        if (!Ptrace.stopped(status) || Ptrace.stopEvent(status) != Ptrace.EVENT_STOP) {
            throw new IllegalStateException("thread " + tid + " of " + pid + " did not stop again after the injected"
                    + " calls (wait status 0x" + Integer.toHexString(status) + ")");
        }
    }

    /** Puts the registers back and lets every thread continue (interrupted syscalls restart). */
    void release() {
        tracer.run(() -> {
            for (int tid : List.copyOf(attached)) {
                try {
                    Stopped t = threads.get(tid);
                    if (t != null) {
                        Ptrace.setRegs(tid, t.original);
                    }
                    Ptrace.detach(tid);
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.ESRCH) {  // a thread that ended meanwhile needs nothing
                        throw e;
                    }
                } finally {
                    attached.remove(tid);
                }
            }
        });
    }

    /** Kills the process (after a successful capture without --leave-running) and waits for every thread's end. */
    void kill() {
        tracer.run(() -> {
            Processes.kill(pid, Processes.SIGKILL);
            List<Integer> order = new ArrayList<>(attached);
            order.remove(Integer.valueOf(pid));
            order.add(pid);                     // the leader's end is reported after the others'
            for (int tid : order) {
                try {
                    while (Ptrace.stopped(Ptrace.waitFor(tid))) {
                        // stops reported before the kill took effect
                    }
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.ECHILD) {
                        throw e;
                    }
                }
            }
            attached.clear();
        });
    }

    @Override
    public void close() {
        try {
            if (!attached.isEmpty()) {
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
