package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Java streams over raw descriptors (such as our ends of pipes shared with spawned children).
 * Closing the stream closes the descriptor.
 */
public final class FdStreams {
    private static final int BUFFER = 64 * 1024;

    private FdStreams() {}

    public static InputStream input(int fd) {
        return new InputStream() {
            private final Arena arena = Arena.ofShared();
            private final MemorySegment buf = arena.allocate(BUFFER);
            private boolean closed;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public synchronized int read(byte[] b, int off, int len) throws IOException {
                if (closed) {
                    throw new IOException("stream closed");
                }
                if (len == 0) {
                    return 0;
                }
                long n;
                do {
                    n = Syscall.raw(Nr.READ, fd, buf.address(), Math.min(len, BUFFER), 0, 0, 0);
                } while (n == -Errno.EINTR);
                if (n < 0) {
                    throw new IOException(new ErrnoException("read", (int) -n).getMessage());
                }
                if (n == 0) {
                    return -1;
                }
                MemorySegment.copy(buf, JAVA_BYTE, 0, b, off, (int) n);
                return (int) n;
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    Fds.close(fd);
                    arena.close();
                }
            }
        };
    }

    public static OutputStream output(int fd) {
        return new OutputStream() {
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                if (closed) {
                    throw new IOException("stream closed");
                }
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(Math.max(1, len));
                    MemorySegment.copy(b, off, buf, JAVA_BYTE, 0, len);
                    for (long done = 0; done < len;) {
                        long n = Syscall.raw(Nr.WRITE, fd, buf.address() + done, len - done, 0, 0, 0);
                        if (n == -Errno.EINTR) {
                            continue;
                        }
                        if (n < 0) {
                            throw new IOException(new ErrnoException("write", (int) -n).getMessage());
                        }
                        done += n;
                    }
                }
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    Fds.close(fd);
                }
            }
        };
    }
}
