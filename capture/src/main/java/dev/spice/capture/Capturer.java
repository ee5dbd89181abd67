package dev.spice.capture;

import dev.spice.image.ImageContents;
import dev.spice.image.ImageFormat;
import dev.spice.image.ImageWriter;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.Itimer;
import dev.spice.image.Records.MmLayout;
import dev.spice.image.Records.ProcessRecord;
import dev.spice.image.Records.Rlimit;
import dev.spice.image.Records.SeccompFilter;
import dev.spice.image.Records.Sigaction;
import dev.spice.image.Records.ThreadRecord;
import dev.spice.sys.Nr;
import dev.spice.sys.ProcessMemory;
import dev.spice.sys.ResourceLimits;
import dev.spice.sys.proc.Mapping;
import dev.spice.sys.proc.ProcFiles;
import dev.spice.sys.proc.ProcStat;
import dev.spice.sys.proc.ProcStatus;
import dev.spice.sys.proc.Smaps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Captures a running process, every thread of it, into an image file: stops all threads with
 * ptrace, reads their registers, the memory, files and kernel state (injecting a few system calls
 * for what /proc does not show: process-wide ones in the main thread, per-thread ones in each
 * thread, see {@link ThreadCapture}), writes the image atomically, then kills the process or lets
 * it continue.
 * If anything is refused or fails, the process is released untouched and no image is written.
 */
public final class Capturer {
    private static final long SIGKILL_SIGSTOP = (1L << 8) | (1L << 18);
    private static final long SIGCHLD_BIT = 1L << 16;
    private static final int PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_GET_CHILD_SUBREAPER = 37,
            PR_GET_THP_DISABLE = 42;

    /** What a capture produced, for the command line and benchmarks. */
    public record Result(int pid, Path image, long imageBytes, long storedPages, int mappings,
            long durationNanos) {}

    private Capturer() {}

    public static Result capture(int pid, Path image, boolean leaveRunning) {
        long started = System.nanoTime();
        Obstacles.beforeAttach(pid);
        try (TraceeSession session = TraceeSession.stop(pid)) {
            Obstacles.whileStopped(pid, session.tids());
            Result result = captureStopped(session, image.toAbsolutePath(), started);
            if (leaveRunning) {
                session.release();
            } else {
                session.kill();
            }
            return result;
        }
    }

    private static Result captureStopped(TraceeSession session, Path image, long started) {
        int pid = session.pid();
        ProcStatus status = ProcStatus.read(pid);
        // Seccomp 2: filter mode (1, strict, was refused); ptrace has no filters to show otherwise (EINVAL).
        List<SeccompFilter> seccomp = status.number("Seccomp") == 2 ? session.seccompFilters() : List.of();
        List<Mapping> beforeInjection = Smaps.read(pid);
        session.useSyscallGadget(vdsoSyscall(pid, beforeInjection));
        Injected injected = readInjectedState(session, status);
        Map<Integer, ThreadCapture.Injected> perThread = new LinkedHashMap<>();
        for (int tid : session.tids()) {
            perThread.put(tid, ThreadCapture.inject(session, tid));
        }
        session.releaseScratch();

        FileTable files = new FileTable();
        int exe = files.add("executable", ProcFiles.readLink(pid, "exe"), ProcFiles.path(pid, "exe").toString(), true);
        ProcStat stat = ProcStat.read(pid);
        List<PlannedMapping> plan = MappingPlanner.plan(pid, Smaps.read(pid), stat.field(28), files);
        FdTableReader.FdTable fdTable = FdTableReader.read(pid, files);
        List<FdRecord> fds = fdTable.fds();
        String cwd = ProcFiles.readLink(pid, "cwd");
        if (cwd.endsWith(" (deleted)")) {
            throw new CaptureRefusedException("the working directory " + cwd + " was deleted");
        }
        List<ThreadRecord> threads = new ArrayList<>();
        perThread.forEach((tid, in) -> threads.add(ThreadCapture.record(session, tid, in)));

        MemoryDump memory = new MemoryDump(pid, plan);
        try (ImageWriter writer = ImageWriter.create(image, ImageWriter.estimateMetadata(memory.mappingCount(),
                memory.candidatePages(), 64, fds.size()))) {
            memory.writeTo(writer);
            long gadget = SigreturnGadget.find(pid, injected.sigactions, plan, memory);
            ProcessRecord process = processRecord(pid, status, stat, cwd, exe, injected, gadget, threads.size());
            writer.commit(new ImageContents(process, threads, memory.vmas(), memory.runs(), files.records(),
                    fds, fdTable.objects(), auxv(pid), injected.sigactions, rlimits(pid), groups(pid, status), seccomp));
        }
        long bytes;
        try {
            bytes = Files.size(image);
        } catch (java.io.IOException e) {
            bytes = -1;
        }
        return new Result(pid, image, bytes, memory.runs().stream().mapToLong(r -> r.pages()).sum(),
                memory.vmas().size(), System.nanoTime() - started);
    }

    /** Process-wide state only the process itself can tell: read by system calls injected into its main thread. */
    private record Injected(List<Sigaction> sigactions, long brk, List<Itimer> itimers, int dumpable, int pdeathSignal,
            int childSubreaper, int thpDisable) {}

    private static Injected readInjectedState(TraceeSession s, ProcStatus status) {
        long scratch = s.scratch();
        long interesting = (status.hex("SigCgt") | status.hex("SigIgn") | SIGCHLD_BIT) & ~SIGKILL_SIGSTOP;
        List<Sigaction> actions = new ArrayList<>();
        for (int sig = 1; sig <= ImageFormat.SIGNALS; sig++) {
            if ((interesting & (1L << (sig - 1))) == 0) {
                actions.add(Sigaction.DEFAULT);
                continue;
            }
            check(s.inject(Nr.RT_SIGACTION, sig, 0, scratch, 8), "rt_sigaction");
            ByteBuffer b = le(s.readScratch(32));
            actions.add(new Sigaction(b.getLong(), b.getLong(), b.getLong(), b.getLong()));
        }
        long brk = check(s.inject(Nr.BRK, 0), "brk");
        List<Itimer> timers = new ArrayList<>();
        for (int which = 0; which < 3; which++) {
            check(s.inject(Nr.GETITIMER, which, scratch), "getitimer");
            ByteBuffer t = le(s.readScratch(32));
            timers.add(new Itimer(t.getLong(), t.getLong(), t.getLong(), t.getLong()));
        }
        int dumpable = (int) check(s.inject(Nr.PRCTL, PR_GET_DUMPABLE), "prctl(PR_GET_DUMPABLE)");
        check(s.inject(Nr.PRCTL, PR_GET_PDEATHSIG, scratch), "prctl(PR_GET_PDEATHSIG)");
        int pdeath = le(s.readScratch(4)).getInt();
        check(s.inject(Nr.PRCTL, PR_GET_CHILD_SUBREAPER, scratch), "prctl(PR_GET_CHILD_SUBREAPER)");
        int subreaper = le(s.readScratch(4)).getInt();
        int thp = (int) check(s.inject(Nr.PRCTL, PR_GET_THP_DISABLE), "prctl(PR_GET_THP_DISABLE)");
        return new Injected(actions, brk, timers, dumpable, pdeath, subreaper, thp);
    }

    private static long check(long result, String call) {
        if (result < 0 && result > -4096) {
            throw new IllegalStateException(call + " injected into the process failed with errno " + -result);
        }
        return result;
    }

    private static ProcessRecord processRecord(int pid, ProcStatus status, ProcStat stat, String cwd, int exe,
            Injected in, long gadget, int threadCount) {
        long[] nspid = status.numbers("NSpid");
        int[] uid = IdMap.of(pid, "uid_map").inside(pid, status.numbers("Uid"));
        int[] gid = IdMap.of(pid, "gid_map").inside(pid, status.numbers("Gid"));
        MmLayout mm = new MmLayout(stat.field(26), stat.field(27), stat.field(45), stat.field(46), stat.field(47),
                in.brk, stat.field(28), stat.field(48), stat.field(49), stat.field(50), stat.field(51));
        String comm = ProcFiles.read(pid, "comm").strip();
        long slack = Long.parseLong(ProcFiles.read(pid, "timerslack_ns").strip());
        int personality = Integer.parseUnsignedInt(ProcFiles.read(pid, "personality").strip(), 16);
        return new ProcessRecord((int) nspid[nspid.length - 1], (int) status.number("PPid"), (int) stat.field(5),
                (int) stat.field(6), uid, gid, (int) status.octal("Umask"), personality, comm, cwd,
                exe, mm, gadget, slack, in.dumpable, in.pdeathSignal, status.number("NoNewPrivs") != 0,
                in.childSubreaper != 0, in.thpDisable != 0, threadCount, in.itimers);
    }

    private static long[] auxv(int pid) {
        ByteBuffer b = le(ProcFiles.readBytes(pid, "auxv"));
        long[] values = new long[b.remaining() / 8];
        b.asLongBuffer().get(values);
        return values;
    }

    private static List<Rlimit> rlimits(int pid) {
        return Arrays.stream(ResourceLimits.of(pid)).map(l -> new Rlimit(l[0], l[1])).toList();
    }

    private static int[] groups(int pid, ProcStatus status) {
        return IdMap.of(pid, "gid_map").inside(pid, status.numbers("Groups"));
    }

    /** A {@code syscall} instruction (0f 05) in the vDSO, to run injected calls from. */
    private static long vdsoSyscall(int pid, List<Mapping> mappings) {
        Mapping vdso = mappings.stream().filter(m -> m.name().equals("[vdso]")).findFirst()
                .orElseThrow(() -> new CaptureRefusedException("process " + pid + " has no vDSO mapped"));
        byte[] text = ProcessMemory.read(pid, vdso.start(), (int) vdso.size());
        for (int i = 0; i + 1 < text.length; i++) {
            if (text[i] == 0x0f && text[i + 1] == 0x05) {
                return vdso.start() + i;
            }
        }
        throw new CaptureRefusedException("no syscall instruction found in the vDSO of " + pid);
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
