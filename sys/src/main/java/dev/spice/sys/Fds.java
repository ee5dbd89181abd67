package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** File descriptors that Java's I/O classes cannot adopt: pipes shared with spawned children. */
public final class Fds {
    private static final int O_CLOEXEC = 02000000, AF_UNIX = 1, SOCK_STREAM = 1, AT_FDCWD = -100,
            POSIX_FADV_DONTNEED = 4, O_RDONLY = 0, SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_NOSIGNAL = 0x4000;
    /** The kernel's limit of descriptors in one message (SCM_MAX_FD). */
    public static final int MAX_FDS_PER_MESSAGE = 253;
    private static final short POLLIN = 1;

    private Fds() {}

    /** A pipe whose two ends are close-on-exec: {@code [read, write]}. */
    public static int[] pipe() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            Syscall.call("pipe2", Nr.PIPE2, fds.address(), O_CLOEXEC);
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /** A connected pair of Unix stream sockets, both close-on-exec: {@code [ours, theirs]}. */
    public static int[] socketPair() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            Syscall.call("socketpair", Nr.SOCKETPAIR, AF_UNIX, SOCK_STREAM | O_CLOEXEC, 0, fds.address());
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /** Drops the file's pages from the page cache (those no process has mapped): POSIX_FADV_DONTNEED. */
    public static void dropCachedPages(Path file) {
        dropCachedPages(file, 0, 0);
    }

    /** Drops {@code length} bytes of the file's cached pages from {@code offset} (0: to the end), as above. */
    public static void dropCachedPages(Path file, long offset, long length) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) Syscall.call("open " + file, Nr.OPENAT, AT_FDCWD, arena.allocateFrom(file.toString()).address(),
                    O_CLOEXEC);
            try {
                Syscall.call("fadvise64", Nr.FADVISE64, fd, offset, length, POSIX_FADV_DONTNEED);
            } finally {
                close(fd);
            }
        }
    }

    /** Opens {@code path} read-only and close-on-exec. */
    public static int openReadOnly(String path) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call("open " + path, Nr.OPENAT, AT_FDCWD, arena.allocateFrom(path).address(),
                    O_RDONLY | O_CLOEXEC);
        }
    }

    /**
     * Sends {@code data} on a Unix socket with {@code fds} attached (SCM_RIGHTS, at most
     * {@link #MAX_FDS_PER_MESSAGE}): the receiver gets its own descriptors of the same open files,
     * with the first bytes of {@code data}.
     */
    public static void sendWithFds(int socket, byte[] data, int[] fds) {
        if (fds.length == 0 || fds.length > MAX_FDS_PER_MESSAGE || data.length == 0) {
            throw new IllegalArgumentException("1 to " + MAX_FDS_PER_MESSAGE + " descriptors and some data per message");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(data.length);
            MemorySegment.copy(data, 0, bytes, JAVA_BYTE, 0, data.length);
            long cmsgLen = 16 + 4L * fds.length;               // struct cmsghdr, then the descriptors
            MemorySegment control = arena.allocate((cmsgLen + 7) & ~7L, 8);
            control.set(JAVA_LONG, 0, cmsgLen);
            control.set(JAVA_INT, 8, SOL_SOCKET);
            control.set(JAVA_INT, 12, SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                control.set(JAVA_INT, 16 + 4L * i, fds[i]);
            }
            MemorySegment iov = arena.allocate(16, 8);
            MemorySegment msg = arena.allocate(56, 8);       // struct msghdr: no name, one iovec, the control
            long sent = 0;
            while (sent < data.length) {
                iov.set(JAVA_LONG, 0, bytes.address() + sent);
                iov.set(JAVA_LONG, 8, data.length - sent);
                msg.set(JAVA_LONG, 16, iov.address());
                msg.set(JAVA_LONG, 24, 1);
                msg.set(JAVA_LONG, 32, sent == 0 ? control.address() : 0);   // the descriptors go once
                msg.set(JAVA_LONG, 40, sent == 0 ? control.byteSize() : 0);
                long n = Syscall.raw(Nr.SENDMSG, socket, msg.address(), MSG_NOSIGNAL, 0, 0, 0);
                if (n == -Errno.EINTR) {
                    continue;
                }
                if (n < 0) {
                    throw new ErrnoException("sendmsg", (int) -n);
                }
                sent += n;
            }
        }
    }

    public static void close(int fd) {
        if (fd >= 0) {
            Syscall.raw(Nr.CLOSE, fd, 0, 0, 0, 0, 0);
        }
    }

    /**
     * Waits until {@code fd} is readable (true) or the deadline ({@code System.nanoTime()} based)
     * passes (false). {@code pollfd} is the caller's 8-byte {@code struct pollfd}, kept so that a
     * wait on a hot path allocates nothing.
     */
    public static boolean awaitReadable(MemorySegment pollfd, int fd, long deadlineNanos) {
        while (true) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            pollfd.set(JAVA_INT, 0, fd);
            pollfd.set(JAVA_SHORT, 4, POLLIN);
            pollfd.set(JAVA_SHORT, 6, (short) 0);
            long r = Syscall.raw(Nr.POLL, pollfd.address(), 1, Math.max(1, left / 1_000_000), 0, 0, 0);
            if (r > 0) {
                return true;
            }
            if (r < 0 && r != -Errno.EINTR) {
                throw new ErrnoException("poll", (int) -r);
            }
        }
    }

    /**
     * Reads one line: up to the first newline (dropped, with anything after it in the same
     * read), end of file, or the deadline ({@code System.nanoTime()} based). Returns null at end
     * of file with nothing read. Meant for one-line status pipes.
     */
    public static String readLine(int fd, long deadlineNanos) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(512);
            MemorySegment pollfd = arena.allocate(8, 4);
            while (true) {
                long left = Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
                pollfd.set(JAVA_INT, 0, fd);
                pollfd.set(JAVA_SHORT, 4, POLLIN);
                pollfd.set(JAVA_SHORT, 6, (short) 0);
                long ready = Syscall.raw(Nr.POLL, pollfd.address(), 1, left, 0, 0, 0);
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready == 0) {
                    throw new ErrnoException("read (timed out)", Errno.EAGAIN);
                }
                long n = Syscall.call("read", Nr.READ, fd, buf.address(), buf.byteSize());
                if (n == 0) {
                    return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
                }
                byte[] chunk = buf.asSlice(0, n).toArray(JAVA_BYTE);
                for (int i = 0; i < chunk.length; i++) {
                    if (chunk[i] == '\n') {
                        line.write(chunk, 0, i);
                        return line.toString(StandardCharsets.UTF_8);
                    }
                }
                line.write(chunk, 0, chunk.length);
            }
        }
    }
}
