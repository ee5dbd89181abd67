package dev.spice.tests;

import dev.spice.sys.FdStreams;
import dev.spice.sys.Fds;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Pipes for a child's stdin, stdout and stderr, with our ends as Java streams. */
final class Stdio implements AutoCloseable {
    private final int[] in = Fds.pipe();
    private final int[] out = Fds.pipe();
    private final int[] err = Fds.pipe();
    private OutputStream stdin;
    Lines stdout;
    Lines stderr;

    /** The child's ends, as descriptor numbers of the child mapped to ours. */
    Map<Integer, Integer> childFds() {
        return Map.of(0, in[0], 1, out[1], 2, err[1]);
    }

    /** Closes our copies of the child's ends (so end of file arrives) and opens our streams. */
    Stdio started(String name) {
        for (int fd : new int[] {in[0], out[1], err[1]}) {
            Fds.close(fd);
        }
        stdin = FdStreams.output(in[1]);
        stdout = new Lines(FdStreams.input(out[0]), name + "-out");
        stderr = new Lines(FdStreams.input(err[0]), name + "-err");
        return this;
    }

    void writeLine(String line) {
        try {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            if (stdin != null) {
                stdin.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
