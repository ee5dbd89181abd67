package dev.spice.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The classic-BPF interpreter answers as the kernel would for the programs filters are made of. */
class SeccompProgramTest {
    /** Instructions as (code, jt, jf, k). */
    private static SeccompProgram program(int... insns) {
        ByteBuffer b = ByteBuffer.allocate(insns.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < insns.length; i += 4) {
            b.putShort((short) insns[i]).put((byte) insns[i + 1]).put((byte) insns[i + 2]).putInt(insns[i + 3]);
        }
        return new SeccompProgram(b.array());
    }

    /** x86-64 only; unshare fails with EPERM if its flags hold CLONE_NEWUSER; everything else is allowed. */
    private static final SeccompProgram UNSHARE_NEWUSER = program(
            0x20, 0, 0, 4,                                      // A = arch
            0x15, 1, 0, SeccompProgram.ARCH_X86_64,
            0x06, 0, 0, SeccompProgram.RET_KILL_PROCESS,
            0x20, 0, 0, 0,                                      // A = nr
            0x15, 0, 3, 272,                                    // unshare?
            0x20, 0, 0, 16,                                     // A = low word of args[0]
            0x45, 0, 1, 0x10000000,                             // JSET CLONE_NEWUSER
            0x06, 0, 0, SeccompProgram.RET_ERRNO | 1,
            0x06, 0, 0, SeccompProgram.RET_ALLOW);

    @Test
    void argumentChecksSeeTheArguments() {
        assertThat(SeccompProgram.describe(UNSHARE_NEWUSER.evaluate(272, 0, 0x10000000L))).isEqualTo("ERRNO 1");
        assertThat(SeccompProgram.allows(UNSHARE_NEWUSER.evaluate(272, 0, 0x20000L))).isTrue();
        assertThat(SeccompProgram.allows(UNSHARE_NEWUSER.evaluate(39, 0))).isTrue();
    }

    @Test
    void logIsAllowedAndOtherActionsAreNot() {
        assertThat(SeccompProgram.allows(SeccompProgram.RET_LOG)).isTrue();
        assertThat(SeccompProgram.allows(SeccompProgram.RET_TRAP)).isFalse();
        assertThat(SeccompProgram.allows(SeccompProgram.RET_TRACE)).isFalse();
        assertThat(SeccompProgram.describe(SeccompProgram.RET_KILL_PROCESS)).isEqualTo("KILL_PROCESS");
    }

    @Test
    void programsTheKernelWouldRejectAreInvalid() {
        assertThatThrownBy(() -> program(0x20, 0, 0, 64, 0x06, 0, 0, 0).evaluate(0, 0))
                .isInstanceOf(SeccompProgram.InvalidProgramException.class).hasMessageContaining("outside seccomp_data");
        assertThatThrownBy(() -> program(0x15, 5, 5, 0).evaluate(0, 0))
                .isInstanceOf(SeccompProgram.InvalidProgramException.class).hasMessageContaining("past its end");
        assertThatThrownBy(() -> new SeccompProgram(new byte[12]))
                .isInstanceOf(SeccompProgram.InvalidProgramException.class);
    }

    @Test
    void userNotificationIsFound() {
        assertThat(program(0x06, 0, 0, SeccompProgram.RET_USER_NOTIF).mayNotifyUser()).isTrue();
        assertThat(UNSHARE_NEWUSER.mayNotifyUser()).isFalse();
    }
}
