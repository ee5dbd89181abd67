package dev.spice.capture;

import static dev.spice.sys.UserRegs.ORIG_RAX;
import static dev.spice.sys.UserRegs.R10;
import static dev.spice.sys.UserRegs.RAX;
import static dev.spice.sys.UserRegs.RDI;
import static dev.spice.sys.UserRegs.RDX;
import static dev.spice.sys.UserRegs.RIP;
import static dev.spice.sys.UserRegs.RSI;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.sys.UserRegs;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class SyscallRestartTest {
    private static final long RIP_AFTER_SYSCALL = 0x7f00_0000_1236L;
    private static final long REQ = 0x7ffc_0000_1000L, REM = 0x7ffc_0000_2000L;

    /** Registers with a distinct value in each, stopped after a syscall instruction. */
    private static UserRegs stopped(long origRax, long rax) {
        long[] values = LongStream.range(0, UserRegs.COUNT).map(i -> 0x1000 + i).toArray();
        values[RIP] = RIP_AFTER_SYSCALL;
        values[ORIG_RAX] = origRax;
        values[RAX] = rax;
        return new UserRegs(values);
    }

    /** {@code before} with the changes a resume makes, for comparing whole register sets. */
    private static UserRegs expect(UserRegs before, int i1, long v1, int i2, long v2) {
        return before.with(i1, v1).with(i2, v2).with(ORIG_RAX, -1);
    }

    @Test
    void notInASyscallLeavesRegistersAlone() {
        UserRegs regs = stopped(-1, 0x55);

        SyscallRestart.Resume resume = SyscallRestart.resume(regs);

        assertThat(resume.regs()).isEqualTo(regs);
        assertThat(resume.restartedSyscall()).isEqualTo(-1);
    }

    @Test
    void interruptedReadIsIssuedAgain() {
        UserRegs regs = stopped(0, SyscallRestart.ERESTARTSYS);

        SyscallRestart.Resume resume = SyscallRestart.resume(regs);

        assertThat(resume.regs()).isEqualTo(expect(regs, RIP, RIP_AFTER_SYSCALL - 2, RAX, 0));
        assertThat(resume.restartedSyscall()).isZero();
    }

    @Test
    void everyRestartCodeRewinds() {
        for (long code : new long[] {SyscallRestart.ERESTARTNOINTR, SyscallRestart.ERESTARTNOHAND,
                SyscallRestart.ERESTART_RESTARTBLOCK}) {
            SyscallRestart.Resume resume = SyscallRestart.resume(stopped(7, code));  // poll

            assertThat(resume.regs().rip()).as("rip after %d", code).isEqualTo(RIP_AFTER_SYSCALL - 2);
            assertThat(resume.regs().rax()).as("rax after %d", code).isEqualTo(7);
            assertThat(resume.restartedSyscall()).isEqualTo(7);
        }
    }

    @Test
    void nanosleepWithRemainderSleepsOnlyTheRest() {
        UserRegs regs = stopped(SyscallRestart.NANOSLEEP, SyscallRestart.ERESTART_RESTARTBLOCK)
                .with(RDI, REQ).with(RSI, REM);

        SyscallRestart.Resume resume = SyscallRestart.resume(regs);

        assertThat(resume.regs().get(RDI)).isEqualTo(REM);
        assertThat(resume.regs().get(RSI)).isEqualTo(REM);
        assertThat(resume.regs().rax()).isEqualTo(SyscallRestart.NANOSLEEP);
        assertThat(resume.regs().rip()).isEqualTo(RIP_AFTER_SYSCALL - 2);
        assertThat(resume.restartedSyscall()).isEqualTo(SyscallRestart.NANOSLEEP);
    }

    @Test
    void nanosleepWithoutRemainderKeepsItsRequest() {
        UserRegs regs = stopped(SyscallRestart.NANOSLEEP, SyscallRestart.ERESTART_RESTARTBLOCK)
                .with(RDI, REQ).with(RSI, 0);

        SyscallRestart.Resume resume = SyscallRestart.resume(regs);

        assertThat(resume.regs()).isEqualTo(expect(regs, RIP, RIP_AFTER_SYSCALL - 2, RAX, SyscallRestart.NANOSLEEP));
    }

    @Test
    void relativeClockNanosleepWithRemainderSleepsOnlyTheRest() {
        UserRegs regs = stopped(SyscallRestart.CLOCK_NANOSLEEP, SyscallRestart.ERESTART_RESTARTBLOCK)
                .with(RDI, 1).with(RSI, 0).with(RDX, REQ).with(R10, REM);  // CLOCK_MONOTONIC, relative

        SyscallRestart.Resume resume = SyscallRestart.resume(regs);

        assertThat(resume.regs()).isEqualTo(expect(regs, RIP, RIP_AFTER_SYSCALL - 2, RAX,
                SyscallRestart.CLOCK_NANOSLEEP).with(RDX, REM));
    }

    @Test
    void absoluteClockNanosleepKeepsItsDeadline() {
        UserRegs regs = stopped(SyscallRestart.CLOCK_NANOSLEEP, SyscallRestart.ERESTARTNOHAND)
                .with(RDI, 1).with(RSI, 1).with(RDX, REQ).with(R10, REM);  // TIMER_ABSTIME

        SyscallRestart.Resume resume = SyscallRestart.resume(regs);

        assertThat(resume.regs().get(RDX)).isEqualTo(REQ);
        assertThat(resume.regs().rip()).isEqualTo(RIP_AFTER_SYSCALL - 2);
    }

    @Test
    void restartSyscallBecomesEINTR() {
        UserRegs regs = stopped(SyscallRestart.RESTART_SYSCALL, SyscallRestart.ERESTART_RESTARTBLOCK);

        SyscallRestart.Resume resume = SyscallRestart.resume(regs);

        assertThat(resume.regs().rax()).isEqualTo(SyscallRestart.EINTR);
        assertThat(resume.regs().rip()).isEqualTo(RIP_AFTER_SYSCALL);
        assertThat(resume.regs().origRax()).isEqualTo(-1);
        assertThat(resume.restartedSyscall()).isEqualTo(-1);
    }

    @Test
    void completedSyscallIsNotRewound() {
        UserRegs regs = stopped(0, 0);

        SyscallRestart.Resume resume = SyscallRestart.resume(regs);

        assertThat(resume.regs().rip()).isEqualTo(RIP_AFTER_SYSCALL);
        assertThat(resume.regs().rax()).isZero();
        assertThat(resume.regs()).isEqualTo(regs.with(ORIG_RAX, -1));
        assertThat(resume.restartedSyscall()).isEqualTo(-1);
    }

    @Test
    void failedSyscallKeepsItsErrno() {
        UserRegs regs = stopped(0, SyscallRestart.EINTR);  // read returned -EINTR

        SyscallRestart.Resume resume = SyscallRestart.resume(regs);

        assertThat(resume.regs().rax()).isEqualTo(SyscallRestart.EINTR);
        assertThat(resume.regs().rip()).isEqualTo(RIP_AFTER_SYSCALL);
    }
}
