package dev.spice.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.sys.Errno;
import dev.spice.sys.Fds;
import dev.spice.sys.Nr;
import dev.spice.sys.Syscall;
import dev.spice.sys.UseCount;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Predicate;

/**
 * A QEMU Machine Protocol client over one socket (the {@code -mon chardev=...,mode=control} end
 * QEMU was given): JSON objects, one per line, answers to our commands interleaved with events.
 * Every read has a deadline ({@link System#nanoTime()} based); QEMU's errors become exceptions.
 */
final class Qmp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int fd;
    private final UseCount once = new UseCount(this::release);
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(4096);
    private final MemorySegment pollfd = arena.allocate(8, 4);
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final Deque<JsonNode> events = new ArrayDeque<>();

    /** Takes {@code fd}, reads QEMU's greeting and leaves negotiation mode. */
    Qmp(int fd, long deadline) {
        this.fd = fd;
        JsonNode greeting = next(deadline);
        if (!greeting.has("QMP")) {
            throw new IllegalStateException("QEMU greeted with " + greeting);
        }
        execute("qmp_capabilities", null, deadline);
    }

    /** Runs a command and returns its "return" value; events read meanwhile are kept for {@link #await}. */
    JsonNode execute(String command, ObjectNode arguments, long deadline) {
        ObjectNode request = JSON.createObjectNode().put("execute", command);
        if (arguments != null) {
            request.set("arguments", arguments);
        }
        write((request + "\n").getBytes(StandardCharsets.UTF_8));
        while (true) {
            JsonNode m = next(deadline);
            if (m.has("event")) {
                events.add(m);
            } else if (m.has("error")) {
                throw new IllegalStateException("QEMU refused " + command + ": " + m.get("error").path("desc").asText());
            } else if (m.has("return")) {
                return m.get("return");
            }
        }
    }

    static ObjectNode arguments() {
        return JSON.createObjectNode();
    }

    /** The first event (kept or new) that {@code wanted} accepts; the others are dropped. */
    JsonNode await(Predicate<JsonNode> wanted, long deadline) {
        while (!events.isEmpty()) {
            JsonNode e = events.poll();
            if (wanted.test(e)) {
                return e;
            }
        }
        while (true) {
            JsonNode m = next(deadline);
            if (m.has("event") && wanted.test(m)) {
                return m;
            }
        }
    }

    private JsonNode next(long deadline) {
        String line = line(deadline);
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException("QEMU sent a line that is not JSON: " + line);
        }
    }

    /** One line, keeping whatever followed it in the same read for the next call. */
    private String line(long deadline) {
        while (true) {
            byte[] have = pending.toByteArray();
            for (int i = 0; i < have.length; i++) {
                if (have[i] == '\n') {
                    pending.reset();
                    pending.write(have, i + 1, have.length - i - 1);
                    return new String(have, 0, i, StandardCharsets.UTF_8).strip();
                }
            }
            awaitReadable(deadline);
            long n = Syscall.raw(Nr.READ, fd, buffer.address(), buffer.byteSize(), 0, 0, 0);
            if (n == -Errno.EINTR || n == -Errno.EAGAIN) {
                continue;
            }
            if (n <= 0) {
                throw new IllegalStateException("QEMU closed its monitor (it exited)");
            }
            pending.write(buffer.asSlice(0, n).toArray(JAVA_BYTE), 0, (int) n);
        }
    }

    private void awaitReadable(long deadline) {
        if (!Fds.awaitReadable(pollfd, fd, deadline)) {
            throw new IllegalStateException("QEMU's monitor did not answer in time");
        }
    }

    private void write(byte[] bytes) {
        MemorySegment data = arena.allocateFrom(JAVA_BYTE, bytes);
        for (long done = 0; done < bytes.length;) {
            long n = Syscall.raw(Nr.WRITE, fd, data.address() + done, bytes.length - done, 0, 0, 0);
            if (n == -Errno.EINTR) {
                continue;
            }
            if (n < 0) {
                throw new IllegalStateException("QEMU closed its monitor (it exited)");
            }
            done += n;
        }
    }

    /** Idempotent: a second close(2) of the number would close whatever file holds it by then. */
    @Override
    public void close() {
        once.close();
    }

    private void release() {
        Fds.close(fd);
        arena.close();
    }
}
