/*
 * Pipes and Unix socket pairs whose two ends are both descriptors of the process, with the
 * bytes buffered in them (docs/image-format.md, PIPE, UNIX_PAIR, "fd_message"). Both ends are
 * created here and placed by fdobjects.c; the buffered bytes go in before either end is handed
 * over, while both ends are still blocking and ours.
 */
#include "restorer.h"

/* Writes all of a message; a short write would mean the object holds less than it did. */
static void send_all(int fd, const struct img_fd_message *m, int socket, const char *what)
{
    const uint8_t *p = fd_data + m->offset;
    uint64_t left = m->length;
    while (left) {
        /* A socket: never block (a full queue is an error, not a hang) and no SIGPIPE. */
        long n = socket ? sys6(__NR_sendto, fd, (long)p, (long)left, MSG_DONTWAIT | MSG_NOSIGNAL, 0, 0)
                        : sys3(__NR_write, fd, p, left);
        if (IS_ERR(n) || n == 0)
            die(what, "does not take its buffered bytes back", n);
        p += n;
        left -= (uint64_t)n;
    }
}

void create_pipe(const struct img_fd_object *o, int ends[2])
{
    int p[2];
    check(sys2(__NR_pipe2, p, O_CLOEXEC), "create", "pipe");
    ends[0] = new_fd_high(p[0], "pipe");
    ends[1] = new_fd_high(p[1], "pipe");
    /* The capacity first, so the buffered bytes (at most the capacity, checked) fit without
     * blocking. The kernel rounds up to a power of two of pages: the value must come back. */
    long cap = check(sys3(__NR_fcntl, ends[1], F_SETPIPE_SZ, o->param), "set the capacity of", "pipe");
    if (cap != (long)o->param)
        die("pipe", "did not take its capacity", cap);
    if (o->count)
        send_all(ends[1], &fd_messages[o->first], 0, "pipe");
}

void create_unix_pair(const struct img_fd_object *o, int ends[2])
{
    int sv[2];
    check(sys4(__NR_socketpair, AF_UNIX, o->param | SOCK_CLOEXEC, 0, sv), "create", "socket pair");
    ends[0] = new_fd_high(sv[0], "socket pair");
    ends[1] = new_fd_high(sv[1], "socket pair");
    /* Each message sent from the other end lands in its end's queue, in the recorded order; a
     * datagram or seqpacket message is one send, so boundaries are kept too. */
    for (uint32_t i = o->first; i < o->first + o->count; i++) {
        const struct img_fd_message *m = &fd_messages[i];
        send_all(ends[1 - m->end], m, 1, "socket pair");
    }
    /* Shutdown last (a shut end takes no bytes). shutdown(how) sets how + 1 in the kernel's
     * bits (1 receive, 2 send), and on a stream or seqpacket pair the mirror bits on the peer,
     * which the recorded state of that peer holds too. */
    for (uint32_t end = 0; end < 2; end++) {
        uint32_t bits = (o->flags >> (8 * end)) & 3;
        if (bits)
            check(sys2(__NR_shutdown, ends[end], bits - 1), "shut down", "socket pair");
    }
}
