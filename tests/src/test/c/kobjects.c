/*
 * kobjects SEED DIR: holds one of each kernel object Spice restores behind a descriptor, with
 * state drawn from SEED (counts, bytes, lengths, descriptor numbers, close-on-exec flags, epoll
 * cookies): an eventfd with a count and a semaphore one, an epoll set (edge-triggered and one-shot
 * registrations, data cookies) and a nested epoll, an armed periodic timerfd, an absolute one-shot
 * timerfd, an expired unread one, a signalfd, a pipe with buffered bytes and its own capacity,
 * stream, datagram and seqpacket socket pairs with queued messages (the stream one shut down for
 * writing), and inotify watching DIR with a gap in its watch descriptors.
 *
 * It prints "ready PID", then blocks reading stdin (where it is captured). Given a line, it checks
 * every object against what SEED says it must hold, prints "check NAME ok" or "check NAME FAIL ...",
 * "timer-remaining MS" (of the 5 s one-shot timer), uses every object once more, then "ALL OK" or
 * "FAILED", and exits 0 or 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static unsigned below(unsigned n) { return (unsigned)(next() % n); }

static int failures;
static void check(const char *name, int ok, const char *fmt, long a, long b)
{
    if (ok) {
        printf("check %s ok\n", name);
    } else {
        printf("check %s FAIL ", name);
        printf(fmt, a, b);
        printf("\n");
        failures++;
    }
}

/* Descriptor numbers: distinct, random in [10, 250). */
static int used[256];
static int target_fd(void)
{
    for (;;) {
        int n = 10 + (int)below(240);
        if (!used[n]) {
            used[n] = 1;
            return n;
        }
    }
}
static int cloexec_of[256];
/* Moves fd to a random number with a random close-on-exec flag; returns the number. */
static int place(int fd)
{
    int n = target_fd();
    int cloexec = (int)below(2);
    if (dup3(fd, n, cloexec ? O_CLOEXEC : 0) != n)
        exit(2);
    close(fd);
    cloexec_of[n] = cloexec;
    return n;
}
static int flags_ok(int fd, int nonblock)
{
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
    return fl >= 0 && !!(fl & O_NONBLOCK) == nonblock && !!(fdfl & FD_CLOEXEC) == cloexec_of[fd];
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void fill(unsigned char *buf, size_t n, uint64_t seed)
{
    uint64_t saved = rng;
    rng = seed | 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)next();
    rng = saved;
}

#define MAX_MSGS 8
struct state {
    int efd, sem, ep, ep2, tper, tabs, texp, sfd, pr, pw, sa, sb, da, db, qa, qb, in;
    uint64_t count, semcount, cookie[6];
    size_t pipe_len, pipe_cap, stream_len, back_len;
    int dgrams, seqs;
    size_t dgram_len[MAX_MSGS], seq_len[MAX_MSGS];
    int wd_dir;
};

static unsigned char buf[1 << 20], want[1 << 20];

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s SEED DIR\n", argv[0]);
        return 2;
    }
    rng = strtoull(argv[1], 0, 10) * 2654435761u + 88172645463325252ull;
    struct state s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < 6; i++)
        s.cookie[i] = next();

    s.count = 1 + next() % 1000000000000ull;
    s.efd = place(eventfd(0, EFD_NONBLOCK));
    if (write(s.efd, &s.count, 8) != 8)
        return 2;
    s.semcount = 2 + below(5);
    s.sem = place(eventfd((unsigned)s.semcount, EFD_SEMAPHORE | EFD_NONBLOCK));

    /* Periodic: first expiry in 150 ms, then every 100 ms. Absolute one-shot: 5 s from now. */
    s.tper = place(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
    struct itimerspec per = {{0, 100000000}, {0, 150000000}};
    timerfd_settime(s.tper, 0, &per, 0);
    s.tabs = place(timerfd_create(CLOCK_MONOTONIC, 0));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct itimerspec abs = {{0, 0}, {t0.tv_sec + 5, t0.tv_nsec}};
    timerfd_settime(s.tabs, TFD_TIMER_ABSTIME, &abs, 0);
    s.texp = place(timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK));
    struct itimerspec soon = {{0, 0}, {0, 1000000}};
    timerfd_settime(s.texp, 0, &soon, 0);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigprocmask(SIG_BLOCK, &mask, 0);
    s.sfd = place(signalfd(-1, &mask, SFD_NONBLOCK));

    int p[2];
    if (pipe(p))
        return 2;
    s.pipe_cap = (size_t)4096 << below(7);     /* 4 KiB to 256 KiB */
    if (fcntl(p[1], F_SETPIPE_SZ, (int)s.pipe_cap) != (int)s.pipe_cap)
        return 2;
    s.pipe_len = 1 + below((unsigned)s.pipe_cap);
    fill(want, s.pipe_len, s.cookie[0]);
    if (write(p[1], want, s.pipe_len) != (ssize_t)s.pipe_len)
        return 2;
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    /* Random order of the two ends' numbers: the read end may come after the write end. */
    s.pw = place(p[1]);
    s.pr = place(p[0]);

    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    s.stream_len = 1 + below(100000);
    fill(want, s.stream_len, s.cookie[1]);
    if (write(sp[0], want, s.stream_len) != (ssize_t)s.stream_len)
        return 2;
    s.back_len = below(3000);
    fill(want, s.back_len, s.cookie[2]);
    if (s.back_len && write(sp[1], want, s.back_len) != (ssize_t)s.back_len)
        return 2;
    shutdown(sp[0], SHUT_WR);
    s.sa = place(sp[0]);
    s.sb = place(sp[1]);
    fcntl(s.sb, F_SETFL, O_NONBLOCK);

    socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
    s.dgrams = 1 + (int)below(MAX_MSGS);
    for (int i = 0; i < s.dgrams; i++) {
        s.dgram_len[i] = 1 + below(2000);      /* an empty one is refused: a peek cannot step over it */
        fill(want, s.dgram_len[i], s.cookie[3] + (uint64_t)i);
        if (send(sp[0], want, s.dgram_len[i], 0) != (ssize_t)s.dgram_len[i])
            return 2;
    }
    s.da = place(sp[0]);
    s.db = place(sp[1]);
    fcntl(s.db, F_SETFL, O_NONBLOCK);

    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
    s.seqs = 1 + (int)below(MAX_MSGS);
    for (int i = 0; i < s.seqs; i++) {
        s.seq_len[i] = 1 + below(3000);
        fill(want, s.seq_len[i], s.cookie[4] + (uint64_t)i);
        if (send(sp[1], want, s.seq_len[i], 0) != (ssize_t)s.seq_len[i])
            return 2;
    }
    s.qa = place(sp[0]);
    s.qb = place(sp[1]);
    fcntl(s.qa, F_SETFL, O_NONBLOCK);

    /* inotify: a watch added and removed first leaves a gap before the directory's wd. */
    s.in = place(inotify_init1(IN_NONBLOCK));
    int gaps = 1 + (int)below(3);
    for (int i = 0; i < gaps; i++)
        inotify_rm_watch(s.in, inotify_add_watch(s.in, "/", IN_ATTRIB));
    s.wd_dir = inotify_add_watch(s.in, argv[2], IN_CREATE);
    while (read(s.in, buf, sizeof buf) > 0)    /* the IN_IGNORED events of the removals */
        ;

    s.ep = place(epoll_create1(0));
    struct epoll_event ev;
    ev.events = EPOLLIN; ev.data.u64 = s.cookie[0];
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.efd, &ev);
    ev.events = EPOLLIN | EPOLLET; ev.data.u64 = s.cookie[1];
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.pr, &ev);
    ev.events = EPOLLIN | EPOLLET; ev.data.u64 = s.cookie[2];
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.tper, &ev);
    ev.events = EPOLLIN | EPOLLONESHOT; ev.data.u64 = s.cookie[3];
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.db, &ev);
    ev.events = EPOLLIN; ev.data.u64 = s.cookie[4];
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.sfd, &ev);
    s.ep2 = place(epoll_create1(EPOLL_CLOEXEC));
    ev.events = EPOLLIN; ev.data.u64 = s.cookie[5];
    epoll_ctl(s.ep2, EPOLL_CTL_ADD, s.ep, &ev);

    usleep(20000);                             /* the 1 ms timer has expired, unread */
    printf("ready %d\n", getpid());
    fflush(stdout);
    char line[256];
    if (!fgets(line, sizeof line, stdin))
        return 3;
    uint64_t woke = now_ns();

    /* ---- every object as the seed says ---- */
    uint64_t v = 0;
    check("eventfd-count", read(s.efd, &v, 8) == 8 && v == s.count, "read %ld want %ld", (long)v, (long)s.count);
    check("eventfd-flags", flags_ok(s.efd, 1), "fd %ld %ld", s.efd, 0);
    int sem_reads = 0;
    while (read(s.sem, &v, 8) == 8 && v == 1)
        sem_reads++;
    check("eventfd-semaphore", sem_reads == (int)s.semcount && errno == EAGAIN, "%ld reads of 1, want %ld",
          sem_reads, (long)s.semcount);

    uint64_t ticks = 0;
    check("timerfd-expired-unread", read(s.texp, &ticks, 8) == 8 && ticks == 1, "ticks %ld %ld", (long)ticks, 0);
    struct itimerspec cur;
    timerfd_gettime(s.tabs, &cur);
    long remaining_ms = cur.it_value.tv_sec * 1000 + cur.it_value.tv_nsec / 1000000;
    printf("timer-remaining %ld\n", remaining_ms);
    check("timerfd-abs-armed", remaining_ms > 0 && remaining_ms <= 5000 && cur.it_interval.tv_sec == 0,
          "remaining %ld ms interval %ld s", remaining_ms, (long)cur.it_interval.tv_sec);
    timerfd_gettime(s.tper, &cur);
    check("timerfd-period", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 100000000 &&
          cur.it_value.tv_nsec <= 150000000 && cur.it_value.tv_sec == 0, "interval %ld ns, next %ld ns",
          cur.it_interval.tv_nsec, cur.it_value.tv_nsec);
    check("timerfd-flags", flags_ok(s.tper, 1) && flags_ok(s.tabs, 0), "%ld %ld", 0, 0);

    /* epoll: the eventfd (drained above, so not ready now), the pipe, the one-shot datagram socket
     * and the nested epoll; the edge-triggered timer may or may not be. Fill the eventfd again. */
    v = 7;
    if (write(s.efd, &v, 8) != 8)
        failures++;
    struct epoll_event evs[8];
    int n = epoll_wait(s.ep, evs, 8, 0);
    int seen = 0;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 6; c++)
            if (evs[i].data.u64 == s.cookie[c] && (evs[i].events & EPOLLIN))
                seen |= 1 << c;
    check("epoll-ready", (seen & 0x0b) == 0x0b && !(seen & 0x10), "cookies seen 0x%lx of %ld events", seen, n);
    n = epoll_wait(s.ep, evs, 8, 0);
    seen = 0;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 6; c++)
            if (evs[i].data.u64 == s.cookie[c])
                seen |= 1 << c;
    /* Again: level-triggered eventfd still there; the edge-triggered pipe and the one-shot socket not. */
    check("epoll-et-oneshot", (seen & 1) && !(seen & 0x0a), "cookies seen 0x%lx of %ld events", seen, n);
    n = epoll_wait(s.ep2, evs, 8, 0);
    check("epoll-nested", n == 1 && evs[0].data.u64 == s.cookie[5], "%ld events %ld", n, 0);
    uint64_t t1 = now_ns();
    n = epoll_wait(s.ep, evs, 8, 500);         /* the periodic timer fires within its period */
    int timer_seen = 0;
    while (n > 0 && !timer_seen) {
        for (int i = 0; i < n; i++)
            timer_seen |= evs[i].data.u64 == s.cookie[2];
        if (!timer_seen)
            n = epoll_wait(s.ep, evs, 8, 500);
    }
    (void)woke;
    long waited = (long)((now_ns() - t1) / 1000000);
    check("timerfd-fires", timer_seen && waited <= 150, "seen %ld after %ld ms", timer_seen, waited);
    check("timerfd-ticks", read(s.tper, &ticks, 8) == 8 && ticks >= 1, "ticks %ld %ld", (long)ticks, 0);

    raise(SIGUSR2);
    struct signalfd_siginfo si;
    check("signalfd", read(s.sfd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR2, "signo %ld %ld",
          (long)si.ssi_signo, 0);
    check("signalfd-flags", flags_ok(s.sfd, 1), "%ld %ld", 0, 0);

    check("pipe-capacity", fcntl(s.pr, F_GETPIPE_SZ) == (int)s.pipe_cap, "%ld want %ld",
          fcntl(s.pr, F_GETPIPE_SZ), (long)s.pipe_cap);
    check("pipe-flags", flags_ok(s.pr, 1) && flags_ok(s.pw, 0), "%ld %ld", 0, 0);
    fill(want, s.pipe_len, s.cookie[0]);
    ssize_t got = read(s.pr, buf, sizeof buf);
    check("pipe-bytes", got == (ssize_t)s.pipe_len && !memcmp(buf, want, s.pipe_len), "read %ld want %ld",
          (long)got, (long)s.pipe_len);
    check("pipe-empty", read(s.pr, buf, 1) < 0 && errno == EAGAIN, "%ld %ld", 0, 0);

    size_t total = 0;
    while ((got = read(s.sb, buf + total, sizeof buf - total)) > 0)
        total += (size_t)got;
    fill(want, s.stream_len, s.cookie[1]);
    check("stream-bytes", total == s.stream_len && !memcmp(buf, want, total) && got == 0,
          "read %ld want %ld (then EOF)", (long)total, (long)s.stream_len);
    fill(want, s.back_len, s.cookie[2]);
    got = s.back_len ? recv(s.sa, buf, sizeof buf, MSG_DONTWAIT) : 0;
    check("stream-back", got == (ssize_t)s.back_len && !memcmp(buf, want, s.back_len), "read %ld want %ld",
          (long)got, (long)s.back_len);
    check("stream-shutdown", send(s.sa, "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "%ld %ld", 0, 0);
    check("stream-flags", flags_ok(s.sa, 0) && flags_ok(s.sb, 1), "%ld %ld", 0, 0);

    int dg_ok = 1, i;
    for (i = 0; i < s.dgrams; i++) {
        fill(want, s.dgram_len[i], s.cookie[3] + (uint64_t)i);
        got = recv(s.db, buf, sizeof buf, 0);
        if (got != (ssize_t)s.dgram_len[i] || memcmp(buf, want, s.dgram_len[i]))
            break;
    }
    dg_ok = i == s.dgrams && recv(s.db, buf, sizeof buf, 0) < 0 && errno == EAGAIN;
    check("dgram-messages", dg_ok, "%ld of %ld messages intact", i, s.dgrams);
    int sq_ok;
    for (i = 0; i < s.seqs; i++) {
        fill(want, s.seq_len[i], s.cookie[4] + (uint64_t)i);
        got = recv(s.qa, buf, sizeof buf, 0);
        if (got != (ssize_t)s.seq_len[i] || memcmp(buf, want, s.seq_len[i]))
            break;
    }
    sq_ok = i == s.seqs && recv(s.qa, buf, sizeof buf, 0) < 0 && errno == EAGAIN;
    check("seqpacket-messages", sq_ok, "%ld of %ld messages intact", i, s.seqs);

    char path[4096];
    snprintf(path, sizeof path, "%s/created-%d", argv[2], getpid());
    close(open(path, O_CREAT | O_WRONLY, 0600));
    got = read(s.in, buf, sizeof buf);
    struct inotify_event *ie = (struct inotify_event *)buf;
    check("inotify", got > 0 && ie->wd == s.wd_dir && (ie->mask & IN_CREATE) && strstr(ie->name, "created-"),
          "wd %ld want %ld", got > 0 ? ie->wd : -1, s.wd_dir);
    unlink(path);

    /* ---- and they keep working ---- */
    if (write(s.pw, "again", 5) != 5 || read(s.pr, buf, 5) != 5 || memcmp(buf, "again", 5))
        check("pipe-works", 0, "%ld %ld", 0, 0);
    if (send(s.da, "d", 1, 0) != 1 || recv(s.db, buf, 1, 0) != 1)
        check("dgram-works", 0, "%ld %ld", 0, 0);
    if (send(s.qb, "q", 1, 0) != 1 || recv(s.qa, buf, 1, 0) != 1)
        check("seqpacket-works", 0, "%ld %ld", 0, 0);
    printf(failures ? "FAILED\n" : "ALL OK\n");
    fflush(stdout);
    return failures ? 1 : 0;
}
