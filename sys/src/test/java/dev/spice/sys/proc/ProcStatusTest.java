package dev.spice.sys.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcStatusTest {
    private static final ProcStatus STATUS = ProcStatus.parse("""
            Name:\tmy: worker
            Umask:\t0027
            State:\tS (sleeping)
            Tgid:\t7358
            Pid:\t7358
            PPid:\t7352
            Uid:\t1000\t1001\t1002\t1003
            Gid:\t0\t0\t0\t0
            Groups:\t\s
            VmRSS:\t    1768 kB
            Threads:\t3
            SigBlk:\t0000000000010000
            SigIgn:\tfffffffe7ffbfeff
            NoNewPrivs:\t1
            """);

    @Test
    void textAfterTheFirstColon() {
        assertThat(STATUS.get("Name")).isEqualTo("my: worker");
        assertThat(STATUS.get("State")).isEqualTo("S (sleeping)");
        assertThat(STATUS.state()).isEqualTo('S');
    }

    @Test
    void numbersInTheirBases() {
        assertThat(STATUS.number("Pid")).isEqualTo(7358L);
        assertThat(STATUS.number("VmRSS")).isEqualTo(1768L);
        assertThat(STATUS.octal("Umask")).isEqualTo(027L);
        assertThat(STATUS.hex("SigBlk")).isEqualTo(1L << 16);
        assertThat(STATUS.hex("SigIgn")).isEqualTo(0xfffffffe7ffbfeffL);
    }

    @Test
    void listsOfNumbers() {
        assertThat(STATUS.numbers("Uid")).containsExactly(1000L, 1001L, 1002L, 1003L);
        assertThat(STATUS.numbers("Groups")).isEmpty();
    }

    @Test
    void missingKeyIsNamed() {
        assertThatThrownBy(() -> STATUS.get("Seccomp")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Seccomp");
    }

    @Test
    void ownProcess() {
        int pid = (int) ProcessHandle.current().pid();
        ProcStatus own = ProcStatus.read(pid);

        assertThat(own.number("Pid")).isEqualTo(pid);
        assertThat(own.number("Threads")).isGreaterThan(1);
        assertThat(own.numbers("Uid")).hasSize(4);
    }
}
