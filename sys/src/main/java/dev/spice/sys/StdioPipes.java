package dev.spice.sys;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Three pipes for a child's stdin, stdout and stderr. Pass {@link #childFds()} to the spawn, then
 * call {@link #parentSide()}: our copies of the child's ends close (so end of file arrives when
 * the child is gone) and our ends become streams.
 */
public final class StdioPipes implements AutoCloseable {
    private final int[] in = Fds.pipe();
    private final int[] out = Fds.pipe();
    private final int[] err = Fds.pipe();
    private OutputStream stdin;
    private InputStream stdout;
    private InputStream stderr;

    /** Descriptors 0, 1 and 2 of the child, mapped to ours. */
    public Map<Integer, Integer> childFds() {
        return Map.of(0, in[0], 1, out[1], 2, err[1]);
    }

    public StdioPipes parentSide() {
        Fds.close(in[0]);
        Fds.close(out[1]);
        Fds.close(err[1]);
        stdin = FdStreams.output(in[1]);
        stdout = FdStreams.input(out[0]);
        stderr = FdStreams.input(err[0]);
        return this;
    }

    public OutputStream stdin() {
        return stdin;
    }

    public InputStream stdout() {
        return stdout;
    }

    public InputStream stderr() {
        return stderr;
    }

    /** Closes our end of stdin (the child sees end of file); the output streams close at their end. */
    @Override
    public void close() {
        try {
            if (stdin != null) {
                stdin.close();
            } else {
                for (int fd : new int[] {in[0], in[1], out[0], out[1], err[0], err[1]}) {
                    Fds.close(fd);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
