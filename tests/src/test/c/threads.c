/*
 * A multi-threaded test program for snapshot and restore: every thread parks in a different state,
 * the test snapshots the process, restores it, and writes "go" to its stdin; then every thread
 * checks that it is still itself (TID, name, thread-local value, signal mask) and reports.
 *
 * Usage: threads            11 threads: main (pthread_join of the reader), reader (read on fd 0),
 *                           cond (pthread_cond_wait), sleep (nanosleep), busy (counting), poll,
 *                           sigwait (sigwaitinfo), mutex (pthread_mutex_lock), pipe (read on a
 *                           pipe of its own, which the reader writes after go), eventfd (epoll_wait
 *                           on an eventfd, which the reader signals after go), timerfd (epoll_wait
 *                           on a timerfd armed SLEEP_MS ahead)
 *        threads SEED [N]   1..64 threads (or N) in states drawn from SEED (a joiner brings its own child)
 *        threads churn      main, reader, cond and four churners, which start and join short-lived
 *                           threads without pause: threads come and go while the snapshot stops them
 *
 * With THREADS_DENY=getppid in the environment, a seccomp filter that fails getppid with errno 77 is
 * installed before any thread starts, so all of them run under it, and each checks it still does;
 * with THREADS_DENY=sched_yield, one that fails sched_yield with EPERM.
 *
 * Before the snapshot it prints one line per thread, "thread IDX KIND TID TLS MASK", the busy
 * threads' counters "busy IDX COUNT", then "ready N". After "go": "at-go busy IDX COUNT" (read by the
 * reader before it wakes anyone), one "done IDX KIND TID TLS MASK ok|BAD..." per thread, and
 * "all done N" from main, which exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum kind { MAIN, READER, COND, SLEEP, BUSY, POLL, SELECT, SIGWAIT, JOIN, MUTEX, CHILD, CHURN, PIPE, EVENTFD,
            TIMERFD, KINDS };
static const char *const names[KINDS] = {"main", "reader", "cond", "sleep", "busy", "poll", "select",
                                         "sigwait", "join", "mutex", "child", "churn", "pipe", "eventfd",
                                         "timerfd"};
#define GO_BYTE 'g'         /* what the reader writes into a pipe thread's pipe */
#define GO_COUNT 5          /* what it adds to an eventfd thread's counter */
#define MAX 64
#define SLEEP_MS 1500

struct thread {
    int idx;
    enum kind kind;
    pthread_t handle;
    pid_t tid;              /* gettid() before the snapshot */
    long tls;               /* the value this thread stored in its thread-local variable */
    uint64_t mask;          /* the signal mask it set */
    int joined;             /* a joiner joins its child; main joins the rest */
    atomic_long count;      /* busy: iterations; poll/select: timeouts */
    long extra;             /* sleep, timerfd: ms until woken */
    int fd[2];              /* pipe: its read and write ends; eventfd, timerfd: the object and its epoll */
    const char *bad;        /* what its own kind-specific check found wrong, if anything */
    char name[16];          /* its name (comm), "tIDX-KIND", set when it starts */
    char report[160];
};

static struct thread threads[MAX];
static int count;
static __thread long tls_value;
static int deny_getppid;                   /* THREADS_DENY=getppid: every thread checks the filter */
static atomic_int parked, go;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;   /* main holds it until go: mutex threads block */
static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t current_mask(void)
{
    sigset_t s;
    pthread_sigmask(SIG_BLOCK, NULL, &s);
    uint64_t m = 0;
    for (int sig = 1; sig <= 64; sig++)
        if (sigismember(&s, sig))
            m |= 1ull << (sig - 1);
    return m;
}

/* Each thread blocks signals of its own (one real-time signal by index; SIGUSR1 for sigwait). */
static void become(struct thread *t)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN + 1 + t->idx % 28);
    if (t->kind == SIGWAIT)
        sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_SETMASK, &s, NULL);
    t->tid = gettid();
    snprintf(t->name, sizeof t->name, "t%d-%s", t->idx, names[t->kind]);
    prctl(PR_SET_NAME, t->name);
    tls_value = 0x5100000 + t->idx * 0x1111;
    t->tls = tls_value;
    t->mask = current_mask();
}

static void wait_for_go(void)
{
    pthread_mutex_lock(&go_lock);
    while (!atomic_load(&go))
        pthread_cond_wait(&go_cond, &go_lock);
    pthread_mutex_unlock(&go_lock);
}

/* What the thread sees now against what it recorded before the snapshot. */
static void report(struct thread *t)
{
    pid_t tid = gettid();
    uint64_t mask = current_mask();
    int filtered = !deny_getppid || (syscall(SYS_getppid) == -1 && errno == 77);
    char name[16] = {0};
    prctl(PR_GET_NAME, name);
    const char *verdict = tid != t->tid ? "BAD tid" : tls_value != t->tls ? "BAD tls" : mask != t->mask ? "BAD mask"
                          : strcmp(name, t->name) ? "BAD name" : !filtered ? "BAD filter" : t->bad ? t->bad : "ok";
    long value = t->kind == SLEEP || t->kind == TIMERFD ? t->extra : (long)atomic_load(&t->count);
    snprintf(t->report, sizeof t->report, "done %d %s %d %ld %llx %ld %s", t->idx, names[t->kind], tid, tls_value,
             (unsigned long long)mask, value, verdict);
}

static void *run(void *arg);

static void *nothing(void *arg)
{
    return arg;
}

static void start(struct thread *t)
{
    if (pthread_create(&t->handle, NULL, run, t))
        abort();
}

/* The reader: reads "go" from stdin, then wakes everyone. */
static void release_all(void)
{
    for (int i = 0; i < count; i++)
        if (threads[i].kind == BUSY)
            printf("at-go busy %d %ld\n", i, (long)atomic_load(&threads[i].count));
    fflush(stdout);
    pthread_mutex_lock(&go_lock);
    atomic_store(&go, 1);
    pthread_cond_broadcast(&go_cond);
    pthread_mutex_unlock(&go_lock);
    for (int i = 0; i < count; i++) {
        struct thread *t = &threads[i];
        if (t->kind == SIGWAIT)
            pthread_kill(t->handle, SIGUSR1);
        char byte = GO_BYTE;
        uint64_t add = GO_COUNT;
        if ((t->kind == PIPE && write(t->fd[1], &byte, 1) != 1) ||
            (t->kind == EVENTFD && write(t->fd[0], &add, sizeof add) != sizeof add))
            exit(5);
    }
}

/* The kernel objects of the pipe, eventfd and timerfd threads, made before they park. */
static void make_objects(struct thread *t)
{
    if (t->kind == PIPE && pipe(t->fd))
        exit(2);
    if (t->kind != EVENTFD && t->kind != TIMERFD)
        return;
    t->fd[0] = t->kind == EVENTFD ? eventfd(0, EFD_CLOEXEC) : timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    t->fd[1] = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0xe0000000ull + (uint64_t)t->idx};
    if (t->fd[0] < 0 || t->fd[1] < 0 || epoll_ctl(t->fd[1], EPOLL_CTL_ADD, t->fd[0], &ev))
        exit(2);
}

/* Waits on the thread's epoll for its one object; the event must carry the thread's cookie. */
static uint64_t await_object(struct thread *t)
{
    struct epoll_event ev;
    int n;
    while ((n = epoll_wait(t->fd[1], &ev, 1, -1)) < 0 && errno == EINTR)
        ;
    uint64_t value = 0;
    if (n != 1 || ev.data.u64 != 0xe0000000ull + (uint64_t)t->idx || !(ev.events & EPOLLIN))
        t->bad = "BAD epoll event";
    else if (read(t->fd[0], &value, sizeof value) != sizeof value)
        t->bad = "BAD read";
    return value;
}

static void read_go(void)
{
    char buf[64];
    ssize_t n = 0;
    while (n < 3) {
        ssize_t r = read(0, buf + n, sizeof buf - 1 - (size_t)n);
        if (r <= 0)
            exit(3);
        n += r;
    }
    if (strncmp(buf, "go\n", 3))
        exit(4);
}

static void *run(void *arg)
{
    struct thread *t = arg;
    become(t);
    if (t->kind == JOIN)
        start(&threads[t->idx + 1]);           /* its child comes right after it */
    if (t->kind == TIMERFD) {
        struct itimerspec in = {{0, 0}, {SLEEP_MS / 1000, (SLEEP_MS % 1000) * 1000000L}};
        atomic_store(&t->count, now_ms());
        if (timerfd_settime(t->fd[0], 0, &in, NULL))
            exit(2);
    }
    atomic_fetch_add(&parked, 1);
    switch (t->kind) {
    case READER:
        read_go();
        release_all();
        break;
    case COND:
    case CHILD:
        wait_for_go();
        break;
    case SLEEP: {
        long from = now_ms();
        struct timespec ts = {SLEEP_MS / 1000, (SLEEP_MS % 1000) * 1000000L};
        while (nanosleep(&ts, &ts))
            ;
        t->extra = now_ms() - from;
        wait_for_go();
        break;
    }
    case BUSY:
        while (!atomic_load(&go))
            atomic_fetch_add(&t->count, 1);
        break;
    case POLL:
        while (!atomic_load(&go))
            if (poll(NULL, 0, 200) == 0)
                atomic_fetch_add(&t->count, 1);
        break;
    case SELECT:
        while (!atomic_load(&go)) {
            struct timeval tv = {0, 200000};
            if (select(0, NULL, NULL, NULL, &tv) == 0)
                atomic_fetch_add(&t->count, 1);
        }
        break;
    case SIGWAIT: {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        siginfo_t info;
        while (sigwaitinfo(&s, &info) != SIGUSR1)
            ;
        break;
    }
    case JOIN:
        pthread_join(threads[t->idx + 1].handle, NULL);
        break;
    case CHURN:
        while (!atomic_load(&go)) {
            pthread_t c;
            if (pthread_create(&c, NULL, nothing, NULL) || pthread_join(c, NULL))
                abort();
            atomic_fetch_add(&t->count, 1);
        }
        break;
    case PIPE: {
        char byte = 0;
        if (read(t->fd[0], &byte, 1) != 1 || byte != GO_BYTE)
            t->bad = "BAD pipe byte";
        atomic_store(&t->count, byte);
        break;
    }
    case EVENTFD: {
        uint64_t value = await_object(t);
        if (!t->bad && value != GO_COUNT)
            t->bad = "BAD eventfd count";
        atomic_store(&t->count, (long)value);
        break;
    }
    case TIMERFD: {
        uint64_t expirations = await_object(t);
        t->extra = now_ms() - t->count;        /* count held the arming time */
        if (!t->bad && expirations != 1)
            t->bad = "BAD timer expirations";
        wait_for_go();
        break;
    }
    case MUTEX:
        pthread_mutex_lock(&lock);
        atomic_fetch_add(&t->count, 1);
        pthread_mutex_unlock(&lock);
        break;
    default:
        abort();
    }
    report(t);
    return NULL;
}

static uint64_t rng;
static unsigned next(unsigned n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(rng >> 33) % n;
}

/* The threads and their states: the fixed eight, or drawn from a seed. */
static void plan(int argc, char **argv)
{
    threads[count++].kind = MAIN;
    if (argc == 2 && !strcmp(argv[1], "churn")) {
        static const enum kind churn[] = {READER, COND, CHURN, CHURN, CHURN, CHURN};
        for (unsigned i = 0; i < sizeof churn / sizeof churn[0]; i++)
            threads[count++].kind = churn[i];
        return;
    }
    if (argc < 2) {
        static const enum kind fixed[] = {READER, COND, SLEEP, BUSY, POLL, SIGWAIT, MUTEX, PIPE, EVENTFD, TIMERFD};
        for (unsigned i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
            threads[count++].kind = fixed[i];
        return;
    }
    uint64_t z = strtoull(argv[1], NULL, 10) + 0x9e3779b97f4a7c15ull;   /* splitmix64 of the seed */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    rng = z ^ (z >> 31);
    int total = argc > 2 ? atoi(argv[2]) : 1 + (int)next(MAX);
    if (total < 1 || total > MAX)
        exit(2);
    if (total > 1)
        threads[count++].kind = READER;
    static const enum kind drawn[] = {COND, SLEEP, BUSY, POLL, SELECT, SIGWAIT, JOIN, MUTEX, CHURN, PIPE, EVENTFD,
                                      TIMERFD};
    while (count < total) {
        enum kind k = drawn[next(sizeof drawn / sizeof drawn[0])];
        if (k == JOIN && count + 2 > total)
            k = COND;
        threads[count++].kind = k;
        if (k == JOIN)
            threads[count++].kind = CHILD;
    }
}

/* A filter that fails calls numbered nr with err, installed before any thread starts. */
static void deny(long nr, int err)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
        exit(2);
}

int main(int argc, char **argv)
{
    const char *denied = getenv("THREADS_DENY");
    if (denied && !strcmp(denied, "getppid")) {
        deny(SYS_getppid, 77);
        deny_getppid = 1;
    } else if (denied && !strcmp(denied, "sched_yield")) {
        deny(SYS_sched_yield, EPERM);
    }
    plan(argc, argv);
    for (int i = 0; i < count; i++) {
        threads[i].idx = i;
        make_objects(&threads[i]);
    }
    struct thread *self = &threads[0];
    become(self);
    pthread_mutex_lock(&lock);
    int started = 0;
    for (int i = 1; i < count; i++)
        if (threads[i].kind != CHILD) {
            start(&threads[i]);
            started++;
        }
    for (int i = 1; i < count; i++)
        if (threads[i].kind == CHILD)
            threads[i].joined = 1, started++;
    while (atomic_load(&parked) < started)
        usleep(1000);
    /* The busy threads count far enough that a restart from zero would show. */
    for (int i = 0; i < count; i++)
        while (threads[i].kind == BUSY && atomic_load(&threads[i].count) < 5000000)
            usleep(1000);
    usleep(30000);                              /* every thread into its blocking call */
    for (int i = 0; i < count; i++)
        printf("thread %d %s %d %ld %llx\n", i, names[threads[i].kind], threads[i].tid, threads[i].tls,
               (unsigned long long)threads[i].mask);
    for (int i = 0; i < count; i++)
        if (threads[i].kind == BUSY)
            printf("busy %d %ld\n", i, (long)atomic_load(&threads[i].count));
    printf("ready %d\n", count);
    fflush(stdout);
    if (count == 1) {
        read_go();                              /* alone: main reads itself */
    } else {
        pthread_join(threads[1].handle, NULL);  /* the reader: main waits in pthread_join */
        threads[1].joined = 1;
    }
    pthread_mutex_unlock(&lock);                /* the mutex threads may go on */
    for (int i = 1; i < count; i++)
        if (!threads[i].joined)
            pthread_join(threads[i].handle, NULL);
    report(self);
    for (int i = 0; i < count; i++)
        printf("%s\n", threads[i].report);
    printf("all done %d\n", count);
    fflush(stdout);
    return 0;
}
