package dev.spice.capture;

import dev.spice.sys.UserRegs;

/**
 * Turns the registers of a process stopped inside a blocking system call into registers that
 * resume it correctly in a new process, where the kernel's record of the interrupted call is gone.
 *
 * <p>The kernel reports such a call as rax = -ERESTART* and orig_rax = the call number, with rip
 * after the {@code syscall} instruction. Resuming means rewinding rip by two bytes and putting the
 * number back into rax, so the call is issued again with its arguments, which are still in their
 * registers. Relative sleeps issued again would sleep their full time: for nanosleep and
 * clock_nanosleep the kernel already wrote the remaining time into the caller's {@code rem}
 * buffer, so the request pointer is redirected there. A restart_syscall (a sleep that was
 * already interrupted once) cannot be reissued without the kernel's state; like CRIU we return
 * EINTR, after which callers retry with their {@code rem}.
 */
final class SyscallRestart {
    static final long ERESTARTSYS = -512, ERESTARTNOINTR = -513, ERESTARTNOHAND = -514,
            ERESTART_RESTARTBLOCK = -516, EINTR = -4;
    static final long NANOSLEEP = 35, CLOCK_NANOSLEEP = 230, RESTART_SYSCALL = 219;
    private static final long TIMER_ABSTIME = 1;

    /** Registers to resume with, and the call that will be reissued (or -1). */
    record Resume(UserRegs regs, long restartedSyscall) {}

    private SyscallRestart() {}

    static Resume resume(UserRegs r) {
        long nr = r.origRax();
        long ret = r.rax();
        boolean restart = nr >= 0 && (ret == ERESTARTSYS || ret == ERESTARTNOINTR || ret == ERESTARTNOHAND
                || ret == ERESTART_RESTARTBLOCK);
        if (!restart) {
            return new Resume(r.with(UserRegs.ORIG_RAX, -1), -1);
        }
        if (nr == RESTART_SYSCALL) {
            return new Resume(r.with(UserRegs.RAX, EINTR).with(UserRegs.ORIG_RAX, -1), -1);
        }
        UserRegs again = r.with(UserRegs.RIP, r.rip() - 2).with(UserRegs.RAX, nr).with(UserRegs.ORIG_RAX, -1);
        if (nr == NANOSLEEP && r.get(UserRegs.RSI) != 0) {
            again = again.with(UserRegs.RDI, r.get(UserRegs.RSI));
        } else if (nr == CLOCK_NANOSLEEP && (r.get(UserRegs.RSI) & TIMER_ABSTIME) == 0 && r.get(UserRegs.R10) != 0) {
            again = again.with(UserRegs.RDX, r.get(UserRegs.R10));
        }
        return new Resume(again, nr);
    }
}
