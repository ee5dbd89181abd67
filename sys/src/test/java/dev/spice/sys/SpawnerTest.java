package dev.spice.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpawnerTest {
    @Test
    void exitCodeOfAShell() {
        int pid = Spawner.spawn(List.of("/bin/sh", "-c", "exit 7"), Map.of(), Map.of(), false);

        assertThat(Processes.exitCode(Processes.waitFor(pid))).isEqualTo(7);
    }

    @Test
    void childGetsItsEnvironmentAndDescriptors() throws IOException {
        int[] pipe = Fds.pipe();
        int pid;
        try {
            pid = Spawner.spawn(List.of("/bin/sh", "-c", "echo \"$GREETING\" >&1; echo err >&5"),
                    Map.of("GREETING", "hello spice"), Map.of(1, pipe[1], 5, pipe[1]), true);
        } finally {
            Fds.close(pipe[1]);
        }
        try (InputStream in = FdStreams.input(pipe[0])) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello spice\nerr\n");
        }
        assertThat(Processes.exitCode(Processes.waitFor(pid))).isZero();
    }

    @Test
    void killedChildReports128PlusSignal() {
        int pid = Spawner.spawn(List.of("/bin/sh", "-c", "kill -9 $$"), Map.of(), Map.of(), false);

        assertThat(Processes.exitCode(Processes.waitFor(pid))).isEqualTo(128 + Processes.SIGKILL);
        assertThat(Processes.alive(pid)).isFalse();
    }

    @Test
    void missingProgramIsAnErrno() {
        assertThatThrownBy(() -> Spawner.spawn(List.of("/no/such/program"), Map.of(), Map.of(), false))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("/no/such/program");
    }

    @Test
    void exitCodeDecoding() {
        assertThat(Processes.exitCode(3 << 8)).isEqualTo(3);
        assertThat(Processes.exitCode(15)).isEqualTo(143);
        assertThat(Processes.exitCode(0x80 | 11)).isEqualTo(128 + 11);  // core dumped
    }
}
