package dev.spice.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the state of kernel objects through our copy of a descriptor without changing what the
 * owner will see: a pipe's bytes are duplicated with tee(2), a socket's queue is peeked
 * (MSG_PEEK stepping with SO_PEEK_OFF, put back afterwards), a timer is read with timerfd_gettime.
 */
public final class FdPeek {
    private static final int F_GETFL = 3, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032, FIONREAD = 0x541B,
            SOL_SOCKET = 1, SO_TYPE = 3, SO_PEEK_OFF = 42, MSG_PEEK = 2, MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20,
            MSG_CTRUNC = 0x08, SPLICE_F_NONBLOCK = 2, SCM_RIGHTS = 1;
    /** The largest datagram a peek takes whole; a larger one is reported truncated. */
    private static final int PEEK_BUFFER = 1 << 20;

    private FdPeek() {}

    /** A socket's queue held something this process cannot put back (descriptors, credentials, a huge datagram). */
    public static final class UnsupportedQueueException extends RuntimeException {
        UnsupportedQueueException(String message) {
            super(message);
        }
    }

    public static int statusFlags(int fd) {
        return (int) Syscall.call("fcntl(F_GETFL)", Nr.FCNTL, fd, F_GETFL);
    }

    public static int pipeCapacity(int fd) {
        return (int) Syscall.call("fcntl(F_GETPIPE_SZ)", Nr.FCNTL, fd, F_GETPIPE_SZ);
    }

    /** Bytes waiting to be read (FIONREAD): a pipe's content, an inotify queue's events. */
    public static int queued(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocate(JAVA_INT);
            Syscall.call("ioctl(FIONREAD)", Nr.IOCTL, fd, FIONREAD, n.address());
            return n.get(JAVA_INT, 0);
        }
    }

    /** The bytes buffered in the pipe whose read end is {@code readFd}, left in place (tee into a pipe of ours). */
    public static byte[] pipeContent(int readFd, int capacity) {
        int bytes = queued(readFd);
        if (bytes == 0) {
            return new byte[0];
        }
        int[] own = Fds.pipe();
        try (Arena arena = Arena.ofConfined()) {
            Syscall.call("fcntl(F_SETPIPE_SZ)", Nr.FCNTL, own[1], F_SETPIPE_SZ, capacity);
            long teed = Syscall.call("tee", Nr.TEE, readFd, own[1], bytes, SPLICE_F_NONBLOCK);
            if (teed != bytes) {
                throw new IllegalStateException("tee copied " + teed + " of the pipe's " + bytes + " bytes");
            }
            MemorySegment buf = arena.allocate(bytes);
            for (long got = 0; got < bytes;) {
                got += Syscall.call("read", Nr.READ, own[0], buf.address() + got, bytes - got);
            }
            return buf.toArray(JAVA_BYTE);
        } finally {
            Fds.close(own[0]);
            Fds.close(own[1]);
        }
    }

    public static int socketType(int fd) {
        return getInt(fd, SO_TYPE);
    }

    /**
     * The messages queued at socket {@code fd}, oldest first, without taking them: a stream's bytes
     * as one message, each datagram as one. The socket's peek offset is restored afterwards.
     */
    public static List<byte[]> socketQueue(int fd, boolean stream) {
        int savedPeekOff = getInt(fd, SO_PEEK_OFF);
        setInt(fd, SO_PEEK_OFF, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(PEEK_BUFFER);
            MemorySegment control = arena.allocate(256, 8);
            MemorySegment iov = arena.allocate(16, 8);
            MemorySegment msg = arena.allocate(56, 8);       // struct msghdr
            List<byte[]> messages = new ArrayList<>();
            ByteArrayOutputStream streamBytes = new ByteArrayOutputStream();
            while (true) {
                iov.set(JAVA_LONG, 0, buf.address());
                iov.set(JAVA_LONG, 8, PEEK_BUFFER);
                msg.fill((byte) 0);
                msg.set(JAVA_LONG, 16, iov.address());
                msg.set(JAVA_LONG, 24, 1);
                msg.set(JAVA_LONG, 32, control.address());
                msg.set(JAVA_LONG, 40, control.byteSize());
                long n = Syscall.raw(Nr.RECVMSG, fd, msg.address(), MSG_PEEK | MSG_DONTWAIT, 0, 0, 0);
                if (n == -Errno.EAGAIN) {
                    break;
                }
                if (n < 0) {
                    throw new ErrnoException("recvmsg(MSG_PEEK)", (int) -n);
                }
                long controlLen = msg.get(JAVA_LONG, 40);
                int flags = msg.get(JAVA_INT, 48);
                if (controlLen > 0 || (flags & MSG_CTRUNC) != 0) {
                    closeRights(control, controlLen);
                    throw new UnsupportedQueueException("a queued message carries descriptors or credentials");
                }
                if ((flags & MSG_TRUNC) != 0) {
                    throw new UnsupportedQueueException("a queued datagram is larger than " + PEEK_BUFFER + " bytes");
                }
                if (n == 0 && stream) {
                    break;                          // end of stream: the peer shut down, nothing more queued
                }
                if (n == 0) {                       // a peek offset cannot step over an empty datagram
                    throw new UnsupportedQueueException("an empty datagram is queued");
                }
                byte[] data = buf.asSlice(0, n).toArray(JAVA_BYTE);
                if (stream) {
                    streamBytes.writeBytes(data);
                } else {
                    messages.add(data);
                }
            }
            if (stream && streamBytes.size() > 0) {
                messages.add(streamBytes.toByteArray());
            }
            return messages;
        } finally {
            setInt(fd, SO_PEEK_OFF, savedPeekOff);
        }
    }

    /** Descriptors that a peek of SCM_RIGHTS installed in this process: closed again. */
    private static void closeRights(MemorySegment control, long length) {
        for (long at = 0; at + 16 <= length;) {
            long len = control.get(JAVA_LONG, at);
            int level = control.get(JAVA_INT, at + 8), type = control.get(JAVA_INT, at + 12);
            if (len < 16 || at + len > length) {
                return;
            }
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                for (long p = at + 16; p + 4 <= at + len; p += 4) {
                    Fds.close(control.get(JAVA_INT, p));
                }
            }
            at += (len + 7) & ~7L;
        }
    }

    /** timerfd_gettime: {nanoseconds to the next expiry (0 disarmed), interval in nanoseconds}. */
    public static long[] timerfdGettime(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment its = arena.allocate(32, 8);        // struct itimerspec {interval, value}
            Syscall.call("timerfd_gettime", Nr.TIMERFD_GETTIME, fd, its.address());
            long interval = its.get(JAVA_LONG, 0) * 1_000_000_000L + its.get(JAVA_LONG, 8);
            long value = its.get(JAVA_LONG, 16) * 1_000_000_000L + its.get(JAVA_LONG, 24);
            return new long[] {value, interval};
        }
    }

    private static int getInt(int fd, int option) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            MemorySegment len = arena.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 4);
            Syscall.call("getsockopt(" + option + ")", Nr.GETSOCKOPT, fd, SOL_SOCKET, option, v.address(), len.address());
            return v.get(JAVA_INT, 0);
        }
    }

    private static void setInt(int fd, int option, int value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            Syscall.call("setsockopt(" + option + ")", Nr.SETSOCKOPT, fd, SOL_SOCKET, option, v.address(), 4);
        }
    }
}
