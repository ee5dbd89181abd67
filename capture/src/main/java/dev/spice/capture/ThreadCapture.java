package dev.spice.capture;

import dev.spice.image.Records.ThreadRecord;
import dev.spice.sys.Nr;
import dev.spice.sys.Ptrace;
import dev.spice.sys.Syscall;
import dev.spice.sys.proc.ProcFiles;
import dev.spice.sys.proc.ProcStatus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One thread's state, read while every thread of the process is stopped: what ptrace shows
 * (registers, XSAVE area, signal mask, rseq registration), the robust list (get_robust_list on its
 * TID), and what only the thread itself can tell, by calls injected into that thread while the
 * others stay stopped (its alternate signal stack and clear_child_tid). Its registers are made
 * ready to resume: out of an rseq critical section, and a blocking call it was in issued again.
 */
final class ThreadCapture {
    private static final int PR_GET_TID_ADDRESS = 40;

    /** What the thread's injected calls returned. */
    record Injected(long altSp, long altSize, int altFlags, long clearChildTid) {}

    private ThreadCapture() {}

    /** Injects sigaltstack and PR_GET_TID_ADDRESS into thread {@code tid}; results land in the scratch page. */
    static Injected inject(TraceeSession s, int tid) {
        long scratch = s.scratch();
        check(s.injectIn(tid, Nr.SIGALTSTACK, 0, scratch), "sigaltstack", tid);
        ByteBuffer alt = le(s.readScratch(24));
        long altSp = alt.getLong();
        int altFlags = alt.getInt();
        alt.getInt();
        long altSize = alt.getLong();
        check(s.injectIn(tid, Nr.PRCTL, PR_GET_TID_ADDRESS, scratch), "prctl(PR_GET_TID_ADDRESS)", tid);
        long clearTid = le(s.readScratch(8)).getLong();
        return new Injected(altSp, altSize, altFlags, clearTid);
    }

    /** The thread's record, its TID the one of the process's own PID namespace. */
    static ThreadRecord record(TraceeSession s, int tid, Injected in) {
        int pid = s.pid();
        ProcStatus status = ProcStatus.parse(ProcFiles.read(pid, "task/" + tid + "/status"));
        TraceeSession.ThreadRegisters t = s.threadRegisters(tid);
        Ptrace.RseqConfig rseq = t.rseq();
        SyscallRestart.Resume resume = SyscallRestart.resume(RseqAbort.apply(pid, s.registers(tid), rseq));
        long[] robust = robustList(tid);
        long[] nstid = status.numbers("NSpid");
        String name = ProcFiles.read(pid, "task/" + tid + "/comm").strip();   // the kernel ends it with a newline
        return new ThreadRecord((int) nstid[nstid.length - 1], resume.regs().toArray(), t.sigmask(), in.altSp(),
                in.altSize(), in.altFlags(), rseq.address(), rseq.size(), rseq.signature(), rseq.flags(), robust[0],
                robust[1], in.clearChildTid(), resume.restartedSyscall(), t.xstate(), name);
    }

    private static long[] robustList(int tid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment head = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_LONG);
            Syscall.call("get_robust_list", Nr.GET_ROBUST_LIST, tid, head.address(), len.address());
            return new long[] {head.get(ValueLayout.JAVA_LONG, 0), len.get(ValueLayout.JAVA_LONG, 0)};
        }
    }

    private static void check(long result, String call, int tid) {
        if (result < 0 && result > -4096) {
            throw new IllegalStateException(call + " injected into thread " + tid + " failed with errno " + -result);
        }
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
