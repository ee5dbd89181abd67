package dev.spice.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FdsTest {
    private static long in(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void pipeEndsAreCloseOnExec() throws IOException {
        int[] pipe = Fds.pipe();
        try {
            assertThat(pipe[0]).isNotEqualTo(pipe[1]);
            for (int fd : pipe) {
                assertThat(Files.readString(Path.of("/proc/self/fdinfo/" + fd))).containsPattern("flags:\\s+02");
            }
        } finally {
            Fds.close(pipe[0]);
            Fds.close(pipe[1]);
        }
    }

    @Test
    void streamsRoundTrip() throws IOException {
        int[] pipe = Fds.pipe();
        byte[] data = new byte[10_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 13);
        }
        try (OutputStream out = FdStreams.output(pipe[1])) {
            out.write(data);
            out.write(0xab);
        }
        try (InputStream in = FdStreams.input(pipe[0])) {
            byte[] back = in.readAllBytes();
            assertThat(back).hasSize(data.length + 1).startsWith(data).endsWith((byte) 0xab);
        }
    }

    @Test
    void closedStreamRefusesToRead() throws IOException {
        int[] pipe = Fds.pipe();
        Fds.close(pipe[1]);
        InputStream in = FdStreams.input(pipe[0]);
        in.close();

        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void readLineStopsAtTheNewline() throws IOException {
        int[] pipe = Fds.pipe();
        try (OutputStream out = FdStreams.output(pipe[1])) {
            out.write("ready 1234\nmore".getBytes(StandardCharsets.UTF_8));
            assertThat(Fds.readLine(pipe[0], in(10_000))).isEqualTo("ready 1234");
        } finally {
            Fds.close(pipe[0]);
        }
    }

    @Test
    void readLineReturnsTheLastLineAndThenNull() throws IOException {
        int[] pipe = Fds.pipe();
        try {
            try (OutputStream out = FdStreams.output(pipe[1])) {
                out.write("no newline".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(Fds.readLine(pipe[0], in(10_000))).isEqualTo("no newline");
            assertThat(Fds.readLine(pipe[0], in(10_000))).isNull();
        } finally {
            Fds.close(pipe[0]);
        }
    }

    @Test
    void readLineTimesOutWhenNothingIsWritten() {
        int[] pipe = Fds.pipe();
        try {
            assertThatThrownBy(() -> Fds.readLine(pipe[0], in(20))).isInstanceOf(ErrnoException.class)
                    .hasMessageContaining("timed out")
                    .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(Errno.EAGAIN));
        } finally {
            Fds.close(pipe[0]);
            Fds.close(pipe[1]);
        }
    }
}
