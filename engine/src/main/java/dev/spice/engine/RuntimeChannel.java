package dev.spice.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.sys.Errno;
import dev.spice.sys.Fds;
import dev.spice.sys.Nr;
import dev.spice.sys.Syscall;
import dev.spice.sys.UseCount;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Our end of an instance's channel: length-prefixed JSON frames (docs/runtime-protocol.md), with a
 * deadline on every receive. Normally one socket both ways; two pipes for the benchmark's CRIU
 * comparison.
 */
public final class RuntimeChannel implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_FRAME = 64 << 20;
    private static final int SHUT_RDWR = 2;

    /** The instance closed its end: it exited or crashed. */
    public static final class ClosedException extends Exception {
        ClosedException() {
            super("the runtime closed its channel");
        }
    }

    /** No frame arrived before the deadline. */
    public static final class TimeoutException extends Exception {
        TimeoutException() {
            super("the runtime did not answer in time");
        }
    }

    private final int readFd;
    private final int writeFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pollfd = arena.allocate(8, 4);
    /** No send or receive starts after close; the descriptors are closed after the last has left. */
    private final UseCount uses = new UseCount(this::release);

    /** A channel over one socket. */
    RuntimeChannel(int fd) {
        this(fd, fd);
    }

    /** A channel that reads frames from {@code readFd} and writes them to {@code writeFd}; it owns both. */
    public RuntimeChannel(int readFd, int writeFd) {
        this.readFd = readFd;
        this.writeFd = writeFd;
    }

    public static ObjectNode message(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    public void send(ObjectNode message) throws ClosedException {
        enter();
        try {
            write(message);
        } finally {
            leave();
        }
    }

    private void write(ObjectNode message) throws ClosedException {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(message);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment frame = a.allocate(4L + body.length);
            frame.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 0, body.length);
            MemorySegment.copy(body, 0, frame, ValueLayout.JAVA_BYTE, 4, body.length);
            for (long done = 0; done < frame.byteSize();) {
                long n = Syscall.raw(Nr.WRITE, writeFd, frame.address() + done, frame.byteSize() - done, 0, 0, 0);
                if (n == -Errno.EINTR) {
                    continue;
                }
                if (n < 0) {
                    throw new ClosedException();
                }
                done += n;
            }
        }
    }

    /** The next frame; {@code deadline} is a {@link System#nanoTime()} value. */
    public JsonNode receive(long deadline) throws ClosedException, TimeoutException {
        enter();
        try {
            return read(deadline);
        } finally {
            leave();
        }
    }

    private JsonNode read(long deadline) throws ClosedException, TimeoutException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment header = a.allocate(4);
            readFully(header, deadline);
            int length = header.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 0);
            if (length < 0 || length > MAX_FRAME) {
                throw new ClosedException();
            }
            MemorySegment body = a.allocate(Math.max(1, length));
            readFully(body.asSlice(0, length), deadline);
            try {
                return JSON.readTree(body.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
            } catch (IOException e) {
                throw new ClosedException();
            }
        }
    }

    private void readFully(MemorySegment into, long deadline) throws ClosedException, TimeoutException {
        for (long done = 0; done < into.byteSize();) {
            awaitReadable(deadline);
            long n = Syscall.raw(Nr.READ, readFd, into.address() + done, into.byteSize() - done, 0, 0, 0);
            if (n == -Errno.EINTR || n == -Errno.EAGAIN) {
                continue;
            }
            if (n <= 0) {
                throw new ClosedException();
            }
            done += n;
        }
    }

    private synchronized void awaitReadable(long deadline) throws TimeoutException {
        if (!Fds.awaitReadable(pollfd, readFd, deadline)) {
            throw new TimeoutException();
        }
    }

    private void enter() throws ClosedException {
        if (!uses.enter()) {
            throw new ClosedException();
        }
    }

    private void leave() {
        uses.leave();
    }

    /**
     * Closes the channel; idempotent. A receive waiting on a socket is woken (shutdown), and the
     * descriptors are closed when it has left.
     */
    @Override
    public void close() {
        // ENOTSOCK for a pipe: its writer's death wakes it
        uses.close(() -> Syscall.raw(Nr.SHUTDOWN, readFd, SHUT_RDWR, 0, 0, 0, 0));
    }

    /** Once: when the channel is closed and the last user has left, whichever comes last. */
    private void release() {
        Fds.close(readFd);
        if (writeFd != readFd) {
            Fds.close(writeFd);
        }
        arena.close();
    }
}
