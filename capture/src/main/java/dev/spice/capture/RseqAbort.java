package dev.spice.capture;

import dev.spice.sys.ProcessMemory;
import dev.spice.sys.Ptrace;
import dev.spice.sys.UserRegs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A thread stopped inside an rseq critical section must not resume in its middle: the kernel
 * would have sent it to the section's abort handler on the way back to user space, so the image
 * does the same (struct rseq.rseq_cs points at the section's descriptor while one is active).
 */
final class RseqAbort {
    private RseqAbort() {}

    static UserRegs apply(int pid, UserRegs regs, Ptrace.RseqConfig rseq) {
        if (rseq.size() == 0) {
            return regs;
        }
        long cs = le(ProcessMemory.read(pid, rseq.address() + 8, 8)).getLong();
        if (cs == 0) {
            return regs;
        }
        ByteBuffer d = le(ProcessMemory.read(pid, cs, 32));
        long start = d.getLong(8), postCommitOffset = d.getLong(16), abort = d.getLong(24);
        long rip = regs.rip();
        return rip >= start && rip - start < postCommitOffset ? regs.with(UserRegs.RIP, abort) : regs;
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
