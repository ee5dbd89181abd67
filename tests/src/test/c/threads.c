/*
 * A multi-threaded test program for snapshot and restore: every thread parks in a different state,
 * the test snapshots the process, restores it, and writes "go" to its stdin; then every thread
 * checks that it is still itself (TID, thread-local value, signal mask) and reports.
 *
 * Usage: threads            8 threads: main (pthread_join of the reader), reader (read on fd 0),
 *                           cond (pthread_cond_wait), sleep (nanosleep), busy (counting), poll,
 *                           sigwait (sigwaitinfo), mutex (pthread_mutex_lock)
 *        threads SEED [N]   1..64 threads (or N) in states drawn from SEED (a joiner brings its own child)
 *
 * Before the snapshot it prints one line per thread, "thread IDX KIND TID TLS MASK", the busy
 * threads' counters "busy IDX COUNT", then "ready N". After "go": "at-go busy IDX COUNT" (read by the
 * reader before it wakes anyone), one "done IDX KIND TID TLS MASK ok|BAD..." per thread, and
 * "all done N" from main, which exits 0.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

enum kind { MAIN, READER, COND, SLEEP, BUSY, POLL, SELECT, SIGWAIT, JOIN, MUTEX, CHILD, KINDS };
static const char *const names[KINDS] = {"main", "reader", "cond", "sleep", "busy", "poll", "select",
                                         "sigwait", "join", "mutex", "child"};
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
    long extra;             /* sleep: ms slept */
    char report[160];
};

static struct thread threads[MAX];
static int count;
static __thread long tls_value;
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
    const char *verdict = tid != t->tid ? "BAD tid" : tls_value != t->tls ? "BAD tls" : mask != t->mask ? "BAD mask" : "ok";
    snprintf(t->report, sizeof t->report, "done %d %s %d %ld %llx %ld %s", t->idx, names[t->kind], tid, tls_value,
             (unsigned long long)mask, t->kind == SLEEP ? t->extra : (long)atomic_load(&t->count), verdict);
}

static void *run(void *arg);

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
    for (int i = 0; i < count; i++)
        if (threads[i].kind == SIGWAIT)
            pthread_kill(threads[i].handle, SIGUSR1);
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
    if (argc < 2) {
        static const enum kind fixed[] = {READER, COND, SLEEP, BUSY, POLL, SIGWAIT, MUTEX};
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
    static const enum kind drawn[] = {COND, SLEEP, BUSY, POLL, SELECT, SIGWAIT, JOIN, MUTEX};
    while (count < total) {
        enum kind k = drawn[next(sizeof drawn / sizeof drawn[0])];
        if (k == JOIN && count + 2 > total)
            k = COND;
        threads[count++].kind = k;
        if (k == JOIN)
            threads[count++].kind = CHILD;
    }
}

int main(int argc, char **argv)
{
    plan(argc, argv);
    for (int i = 0; i < count; i++)
        threads[i].idx = i;
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
