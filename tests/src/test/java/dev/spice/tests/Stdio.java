package dev.spice.tests;

import dev.spice.sys.LineQueue;
import dev.spice.sys.StdioPipes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A child's stdio pipes, with its output collected line by line. */
final class Stdio implements AutoCloseable {
    private final StdioPipes pipes = new StdioPipes();
    LineQueue stdout;
    LineQueue stderr;

    Map<Integer, Integer> childFds() {
        return pipes.childFds();
    }

    /** Call once the child holds its ends. */
    Stdio started(String name) {
        pipes.parentSide();
        stdout = new LineQueue(pipes.stdout(), name + "-out");
        stderr = new LineQueue(pipes.stderr(), name + "-err");
        return this;
    }

    void writeLine(String line) {
        try {
            pipes.stdin().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the child's stdin: it reads end of file. */
    void closeInput() {
        try {
            pipes.stdin().close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        pipes.close();
    }
}
