package dev.spice.sys;

/**
 * A pidfd of another process, through which the descriptors of that process can be copied into
 * ours (pidfd_getfd, Linux 5.6; needs ptrace access to it, which a tracer has). A copy is another
 * descriptor of the same open file: reading state through it changes nothing in that process
 * unless the operation itself consumes (so callers peek).
 */
public final class Pidfd implements AutoCloseable {
    private final int fd;
    private final UseCount once = new UseCount(this::release);

    private Pidfd(int fd) {
        this.fd = fd;
    }

    public static Pidfd open(int pid) {
        return new Pidfd((int) Syscall.call("pidfd_open", Nr.PIDFD_OPEN, pid, 0));
    }

    /** A close-on-exec copy of the process's descriptor {@code targetFd}; the caller closes it. */
    public int copy(int targetFd) {
        return (int) Syscall.call("pidfd_getfd(" + targetFd + ")", Nr.PIDFD_GETFD, fd, targetFd, 0);
    }

    /** Idempotent: a second close(2) of the number would close whatever file holds it by then. */
    @Override
    public void close() {
        once.close();
    }

    private void release() {
        Fds.close(fd);
    }
}
