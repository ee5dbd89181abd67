/*
 * richstate: a snapshot/restore test subject.
 *
 * Usage: richstate DATAFILE SLEEP_MS
 *
 * Builds up varied process state (heap, sparse anonymous mappings, a private
 * file mapping, TLS, signal state, a seeked fd, vector registers), prints
 * "ready <pid>", then sleeps in a raw nanosleep syscall.  The snapshot tool
 * captures the process during that sleep and later restores a new process
 * from the image.  When the sleep returns, every piece of state is verified
 * and reported as "check <name> ok" / "check <name> FAIL <detail>", followed
 * by "ALL OK" or "FAILED <n>".  Finally it blocks reading a line from stdin
 * (a second capture point) and echoes it as "got <line>" (or "eof").
 *
 * Exit status: 0 if all checks passed, 1 if any failed, 2 on setup errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NO_MISMATCH ((size_t)-1)

/* Seeds keep each region's pattern distinct, so swapped pages are noticed. */
#define HEAP_SEED 0x6865617000000000ULL
#define MMAP_SEED 0x6d6d617000000000ULL
#define FILE_SEED 0x66696c6500000000ULL
#define VREG_SEED 0x7672656700000000ULL
#define TLS_MAGIC 0x5370696365544c53ULL /* "SpiceTLS" */

#define MMAP_PAGES 64
#define MMAP_DIRTY 50 /* pages 0..49 written, 50..63 never touched */
#define FILE_PAGES 16
#define FILE_DIRTY 3
#define FD_OFFSET 12345
#define FD_READ 100
#define ALTSTACK_SIZE (64 * 1024)
#define TLS_ARR_LEN 32

/* Heap blocks of assorted sizes: large ones end up mmap'd by malloc, small
 * ones on the brk heap, so both kinds of heap memory are exercised. */
static const size_t heap_sizes[] = {
    3u << 20, 2u << 20, (1u << 20) + (1u << 19), 1u << 20,
    256u << 10, 100000, 40000, 4097, 777, 33,
};
#define HEAP_BLOCKS (sizeof heap_sizes / sizeof heap_sizes[0])

static size_t pg;
static uint8_t *heap_blocks[HEAP_BLOCKS];
static uint8_t *anon;  /* MMAP_PAGES pages, with holes */
static uint8_t *fmap;  /* MAP_PRIVATE view of DATAFILE */
static int data_fd;    /* separate fd, seeked to FD_OFFSET */
static void *altstack;

/* volatile: values must be re-read from memory after the restore. */
static __thread volatile uint64_t tls_magic;
static __thread volatile uint32_t tls_arr[TLS_ARR_LEN];
static volatile uint64_t *tls_magic_addr;

static volatile sig_atomic_t usr1_count;
static volatile sig_atomic_t usr1_on_altstack;

static struct sigaction usr1_before;
static pid_t pid_before;
static char exe_before[4096];

static uint8_t vregs_in[256] __attribute__((aligned(32)));
static uint8_t vregs_out[256] __attribute__((aligned(32)));
static int use_avx;

/* Raw nanosleep arguments; rem is written by the kernel on interruption. */
static struct timespec sleep_req, sleep_rem;

static int failures;

static void die(const char *what)
{
    fprintf(stderr, "richstate: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* splitmix64 finalizer: cheap, deterministic, random-looking. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* The 8-byte word at offset off is mix64(seed + off), so any sub-range starting
 * at an 8-aligned offset s can be checked with seed + s. */
static void fill_pattern(uint8_t *p, size_t n, uint64_t seed)
{
    for (size_t off = 0; off < n; off += 8) {
        uint64_t w = mix64(seed + off);
        memcpy(p + off, &w, n - off < 8 ? n - off : 8);
    }
}

static size_t find_mismatch(const uint8_t *p, size_t n, uint64_t seed)
{
    for (size_t off = 0; off < n; off += 8) {
        uint64_t w = mix64(seed + off);
        size_t k = n - off < 8 ? n - off : 8;
        if (memcmp(p + off, &w, k) != 0) {
            const uint8_t *wb = (const uint8_t *)&w;
            for (size_t j = 0; j < k; j++)
                if (p[off + j] != wb[j])
                    return off + j;
        }
    }
    return NO_MISMATCH;
}

static int page_mapped(const void *addr)
{
    return msync((void *)addr, pg, MS_ASYNC) == 0;
}

static int is_hole(size_t page)
{
    return (page >= 10 && page <= 19) || (page >= 40 && page <= 41);
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    volatile char probe = 0;
    uintptr_t p = (uintptr_t)&probe;
    uintptr_t lo = (uintptr_t)altstack;

    (void)sig;
    (void)si;
    (void)uc;
    usr1_count++;
    usr1_on_altstack = p >= lo && p < lo + ALTSTACK_SIZE;
}

static void setup_heap(void)
{
    for (size_t i = 0; i < HEAP_BLOCKS; i++) {
        heap_blocks[i] = malloc(heap_sizes[i]);
        if (!heap_blocks[i])
            die("malloc");
        fill_pattern(heap_blocks[i], heap_sizes[i], HEAP_SEED + (i << 32));
    }
}

static void setup_file(const char *path)
{
    struct stat st;

    data_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (data_fd < 0)
        die("open DATAFILE");
    if (fstat(data_fd, &st) < 0)
        die("fstat DATAFILE");
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size < FILE_PAGES * pg) {
        fprintf(stderr, "richstate: DATAFILE must be a regular file of at least %zu bytes\n",
                FILE_PAGES * pg);
        exit(2);
    }

    /* The mapping gets its own fd so data_fd's offset stays independent. */
    int mfd = open(path, O_RDONLY | O_CLOEXEC);
    if (mfd < 0)
        die("open DATAFILE for mmap");
    fmap = mmap(NULL, FILE_PAGES * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, mfd, 0);
    if (fmap == MAP_FAILED)
        die("mmap DATAFILE");
    close(mfd);
    /* Only page 3 becomes an anonymous COW copy; the rest stay file-backed. */
    fill_pattern(fmap + FILE_DIRTY * pg, pg, FILE_SEED);

    if (lseek(data_fd, FD_OFFSET, SEEK_SET) != FD_OFFSET)
        die("lseek");
}

/* Done last among the mmap users so nothing else gets placed in the holes. */
static void setup_anon(void)
{
    anon = mmap(NULL, MMAP_PAGES * pg, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (anon == MAP_FAILED)
        die("mmap anon");
    fill_pattern(anon, MMAP_DIRTY * pg, MMAP_SEED);
    if (munmap(anon + 10 * pg, 10 * pg) < 0 || munmap(anon + 40 * pg, 2 * pg) < 0)
        die("munmap");
}

static void setup_tls(void)
{
    tls_magic = TLS_MAGIC;
    tls_magic_addr = &tls_magic;
    for (int i = 0; i < TLS_ARR_LEN; i++)
        tls_arr[i] = (uint32_t)mix64(TLS_MAGIC + i);
}

static void setup_signals(void)
{
    stack_t ss = { .ss_sp = NULL, .ss_size = ALTSTACK_SIZE, .ss_flags = 0 };
    struct sigaction sa;
    sigset_t block;

    altstack = malloc(ALTSTACK_SIZE);
    if (!altstack)
        die("malloc altstack");
    ss.ss_sp = altstack;
    if (sigaltstack(&ss, NULL) < 0)
        die("sigaltstack");

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGWINCH); /* a non-empty mask worth comparing */
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        die("sigaction");
    /* Keep the kernel's view (incl. SA_RESTORER and restorer) for comparison. */
    memset(&usr1_before, 0, sizeof usr1_before);
    if (sigaction(SIGUSR1, NULL, &usr1_before) < 0)
        die("sigaction query");

    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    if (sigprocmask(SIG_BLOCK, &block, NULL) < 0)
        die("sigprocmask");
}

static void setup_identity(void)
{
    pid_before = getpid();
    ssize_t n = readlink("/proc/self/exe", exe_before, sizeof exe_before - 1);
    if (n < 0)
        die("readlink /proc/self/exe");
    exe_before[n] = '\0';
}

/*
 * Load distinct patterns into ymm8..15 (xmm8..15 without AVX), sleep with a
 * raw nanosleep syscall and store the registers back, all in one asm block so
 * the compiler cannot touch them in between: the values survive only if the
 * register state was captured and restored.  -EINTR (e.g. a signal, or the
 * restored process resuming the interrupted call) re-issues the sleep with
 * the remaining time.  Returns the final syscall result.
 */
static long sleep_holding_vregs(void)
{
    long ret;

    sleep_rem.tv_sec = 0;
    sleep_rem.tv_nsec = 0;
    if (use_avx) {
        __asm__ volatile(
            "vmovdqu   0(%[in]), %%ymm8\n\t"
            "vmovdqu  32(%[in]), %%ymm9\n\t"
            "vmovdqu  64(%[in]), %%ymm10\n\t"
            "vmovdqu  96(%[in]), %%ymm11\n\t"
            "vmovdqu 128(%[in]), %%ymm12\n\t"
            "vmovdqu 160(%[in]), %%ymm13\n\t"
            "vmovdqu 192(%[in]), %%ymm14\n\t"
            "vmovdqu 224(%[in]), %%ymm15\n\t"
            "1:\n\t"
            "movl $35, %%eax\n\t" /* SYS_nanosleep */
            "syscall\n\t"
            "cmpq $-4, %%rax\n\t" /* -EINTR: req = rem, retry */
            "jne 2f\n\t"
            "movq 0(%%rsi), %%rcx\n\t"
            "movq %%rcx, 0(%%rdi)\n\t"
            "movq 8(%%rsi), %%rcx\n\t"
            "movq %%rcx, 8(%%rdi)\n\t"
            "jmp 1b\n\t"
            "2:\n\t"
            "vmovdqu %%ymm8,    0(%[out])\n\t"
            "vmovdqu %%ymm9,   32(%[out])\n\t"
            "vmovdqu %%ymm10,  64(%[out])\n\t"
            "vmovdqu %%ymm11,  96(%[out])\n\t"
            "vmovdqu %%ymm12, 128(%[out])\n\t"
            "vmovdqu %%ymm13, 160(%[out])\n\t"
            "vmovdqu %%ymm14, 192(%[out])\n\t"
            "vmovdqu %%ymm15, 224(%[out])\n\t"
            "vzeroupper\n\t" /* avoid AVX/SSE transition penalties later */
            : "=&a"(ret)
            : "D"(&sleep_req), "S"(&sleep_rem), [in] "r"(vregs_in), [out] "r"(vregs_out)
            : "rcx", "r11", "memory", "cc",
              "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    } else {
        __asm__ volatile(
            "movdqu   0(%[in]), %%xmm8\n\t"
            "movdqu  16(%[in]), %%xmm9\n\t"
            "movdqu  32(%[in]), %%xmm10\n\t"
            "movdqu  48(%[in]), %%xmm11\n\t"
            "movdqu  64(%[in]), %%xmm12\n\t"
            "movdqu  80(%[in]), %%xmm13\n\t"
            "movdqu  96(%[in]), %%xmm14\n\t"
            "movdqu 112(%[in]), %%xmm15\n\t"
            "1:\n\t"
            "movl $35, %%eax\n\t" /* SYS_nanosleep */
            "syscall\n\t"
            "cmpq $-4, %%rax\n\t" /* -EINTR: req = rem, retry */
            "jne 2f\n\t"
            "movq 0(%%rsi), %%rcx\n\t"
            "movq %%rcx, 0(%%rdi)\n\t"
            "movq 8(%%rsi), %%rcx\n\t"
            "movq %%rcx, 8(%%rdi)\n\t"
            "jmp 1b\n\t"
            "2:\n\t"
            "movdqu %%xmm8,    0(%[out])\n\t"
            "movdqu %%xmm9,   16(%[out])\n\t"
            "movdqu %%xmm10,  32(%[out])\n\t"
            "movdqu %%xmm11,  48(%[out])\n\t"
            "movdqu %%xmm12,  64(%[out])\n\t"
            "movdqu %%xmm13,  80(%[out])\n\t"
            "movdqu %%xmm14,  96(%[out])\n\t"
            "movdqu %%xmm15, 112(%[out])\n\t"
            : "=&a"(ret)
            : "D"(&sleep_req), "S"(&sleep_rem), [in] "r"(vregs_in), [out] "r"(vregs_out)
            : "rcx", "r11", "memory", "cc",
              "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    }
    return ret;
}

/* ---- checks ------------------------------------------------------------ */

static void report(const char *name, const char *fail_detail)
{
    if (fail_detail) {
        printf("check %s FAIL %s\n", name, fail_detail);
        failures++;
    } else {
        printf("check %s ok\n", name);
    }
}

static void check_heap(void)
{
    char d[128];

    for (size_t i = 0; i < HEAP_BLOCKS; i++) {
        size_t off = find_mismatch(heap_blocks[i], heap_sizes[i], HEAP_SEED + (i << 32));
        if (off != NO_MISMATCH) {
            snprintf(d, sizeof d, "block %zu (size %zu) differs at offset %zu",
                     i, heap_sizes[i], off);
            report("heap", d);
            return;
        }
    }
    report("heap", NULL);
}

static void check_mmap_pattern(void)
{
    char d[128];

    for (size_t p = 0; p < MMAP_DIRTY; p++) {
        if (is_hole(p))
            continue;
        if (!page_mapped(anon + p * pg)) {
            snprintf(d, sizeof d, "page %zu is not mapped", p);
            report("mmap_pattern", d);
            return;
        }
        size_t off = find_mismatch(anon + p * pg, pg, MMAP_SEED + p * pg);
        if (off != NO_MISMATCH) {
            snprintf(d, sizeof d, "page %zu differs at offset %zu", p, off);
            report("mmap_pattern", d);
            return;
        }
    }
    report("mmap_pattern", NULL);
}

static void check_mmap_holes(void)
{
    char d[128];

    for (size_t p = 0; p < MMAP_PAGES; p++) {
        if (!is_hole(p))
            continue;
        errno = 0;
        int r = msync(anon + p * pg, pg, MS_ASYNC);
        if (r != -1 || errno != ENOMEM) {
            snprintf(d, sizeof d, "page %zu: msync returned %d errno %d, expected ENOMEM",
                     p, r, errno);
            report("mmap_holes", d);
            return;
        }
    }
    report("mmap_holes", NULL);
}

static void check_mmap_zero(void)
{
    char d[128];

    for (size_t p = MMAP_DIRTY; p < MMAP_PAGES; p++) {
        const uint8_t *b = anon + p * pg;
        if (!page_mapped(b)) {
            snprintf(d, sizeof d, "page %zu is not mapped", p);
            report("mmap_zero", d);
            return;
        }
        for (size_t i = 0; i < pg; i++) {
            if (b[i] != 0) {
                snprintf(d, sizeof d, "page %zu byte %zu is 0x%02x", p, i, b[i]);
                report("mmap_zero", d);
                return;
            }
        }
    }
    report("mmap_zero", NULL);
}

static void check_file_private(void)
{
    char d[128];
    const uint8_t *b = fmap + FILE_DIRTY * pg;

    if (!page_mapped(b)) {
        report("file_private", "page 3 is not mapped");
        return;
    }
    size_t off = find_mismatch(b, pg, FILE_SEED);
    if (off != NO_MISMATCH) {
        snprintf(d, sizeof d, "page 3 differs at offset %zu", off);
        report("file_private", d);
        return;
    }
    report("file_private", NULL);
}

static void check_file_clean(void)
{
    char d[128];
    uint8_t *buf = malloc(pg);

    if (!buf) {
        report("file_clean", "malloc failed");
        return;
    }
    for (size_t p = 0; p < FILE_PAGES; p++) {
        if (p == FILE_DIRTY)
            continue;
        const uint8_t *b = fmap + p * pg;
        if (!page_mapped(b)) {
            snprintf(d, sizeof d, "page %zu is not mapped", p);
            goto fail;
        }
        ssize_t n = pread(data_fd, buf, pg, (off_t)(p * pg));
        if (n != (ssize_t)pg) {
            snprintf(d, sizeof d, "pread page %zu returned %zd", p, n);
            goto fail;
        }
        for (size_t i = 0; i < pg; i++) {
            if (b[i] != buf[i]) {
                snprintf(d, sizeof d, "page %zu differs from file at offset %zu", p, i);
                goto fail;
            }
        }
    }
    free(buf);
    report("file_clean", NULL);
    return;
fail:
    free(buf);
    report("file_clean", d);
}

static void check_tls(void)
{
    char d[128];

    if (&tls_magic != tls_magic_addr) {
        snprintf(d, sizeof d, "TLS moved from %p to %p",
                 (void *)tls_magic_addr, (void *)&tls_magic);
        report("tls", d);
        return;
    }
    if (tls_magic != TLS_MAGIC) {
        snprintf(d, sizeof d, "magic is 0x%016llx", (unsigned long long)tls_magic);
        report("tls", d);
        return;
    }
    for (int i = 0; i < TLS_ARR_LEN; i++) {
        if (tls_arr[i] != (uint32_t)mix64(TLS_MAGIC + i)) {
            snprintf(d, sizeof d, "array[%d] is 0x%08x", i, (unsigned)tls_arr[i]);
            report("tls", d);
            return;
        }
    }
    report("tls", NULL);
}

static void check_sigmask(void)
{
    sigset_t cur;

    if (sigprocmask(SIG_BLOCK, NULL, &cur) < 0)
        report("sigmask", "sigprocmask query failed");
    else if (sigismember(&cur, SIGUSR2) != 1)
        report("sigmask", "SIGUSR2 is not blocked");
    else if (sigismember(&cur, SIGUSR1) != 0)
        report("sigmask", "SIGUSR1 is unexpectedly blocked");
    else
        report("sigmask", NULL);
}

static void check_sigaltstack(void)
{
    char d[160];
    stack_t ss;

    memset(&ss, 0, sizeof ss);
    if (sigaltstack(NULL, &ss) < 0) {
        report("sigaltstack", "query failed");
        return;
    }
    if (ss.ss_sp != altstack || ss.ss_size != ALTSTACK_SIZE || ss.ss_flags != 0) {
        snprintf(d, sizeof d, "sp %p size %zu flags %d, expected sp %p size %d flags 0",
                 ss.ss_sp, ss.ss_size, ss.ss_flags, altstack, ALTSTACK_SIZE);
        report("sigaltstack", d);
        return;
    }
    report("sigaltstack", NULL);
}

static void check_sigusr1(void)
{
    char d[128];
    sig_atomic_t before = usr1_count;

    usr1_on_altstack = 0;
    if (raise(SIGUSR1) != 0) {
        report("sigusr1", "raise failed");
        return;
    }
    if (usr1_count != before + 1) {
        snprintf(d, sizeof d, "counter went from %d to %d", (int)before, (int)usr1_count);
        report("sigusr1", d);
        return;
    }
    if (!usr1_on_altstack) {
        report("sigusr1", "handler did not run on the alternate stack");
        return;
    }
    report("sigusr1", NULL);
}

static void check_sigaction(void)
{
    char d[160];
    struct sigaction now;
    const int want = SA_SIGINFO | SA_ONSTACK | SA_RESTART;

    memset(&now, 0, sizeof now);
    if (sigaction(SIGUSR1, NULL, &now) < 0) {
        report("sigaction", "query failed");
        return;
    }
    if (now.sa_sigaction != on_usr1 || (now.sa_flags & want) != want ||
        now.sa_flags != usr1_before.sa_flags ||
        now.sa_restorer != usr1_before.sa_restorer) {
        snprintf(d, sizeof d, "handler %p flags 0x%x restorer %p, expected %p 0x%x %p",
                 (void *)now.sa_sigaction, (unsigned)now.sa_flags, (void *)now.sa_restorer,
                 (void *)on_usr1, (unsigned)usr1_before.sa_flags,
                 (void *)usr1_before.sa_restorer);
        report("sigaction", d);
        return;
    }
    /* glibc only fills the kernel's 64 signals of sa_mask. */
    for (int s = 1; s < NSIG; s++) {
        if (sigismember(&now.sa_mask, s) != sigismember(&usr1_before.sa_mask, s)) {
            snprintf(d, sizeof d, "sa_mask differs for signal %d", s);
            report("sigaction", d);
            return;
        }
    }
    report("sigaction", NULL);
}

static void check_fd(void)
{
    char d[128];
    uint8_t got[FD_READ], want[FD_READ];

    int fl = fcntl(data_fd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) != O_RDONLY) {
        snprintf(d, sizeof d, "fd %d: F_GETFL returned 0x%x errno %d", data_fd, fl, errno);
        report("fd_offset", d);
        return;
    }
    off_t pos = lseek(data_fd, 0, SEEK_CUR);
    if (pos != FD_OFFSET) {
        snprintf(d, sizeof d, "offset is %lld, expected %d", (long long)pos, FD_OFFSET);
        report("fd_offset", d);
        return;
    }
    ssize_t n = read(data_fd, got, sizeof got);
    ssize_t m = pread(data_fd, want, sizeof want, FD_OFFSET);
    if (n != FD_READ || m != FD_READ || memcmp(got, want, FD_READ) != 0) {
        snprintf(d, sizeof d, "read %zd / pread %zd bytes, contents %s", n, m,
                 (n == m && n > 0 && memcmp(got, want, (size_t)n) == 0) ? "equal" : "differ");
        report("fd_offset", d);
        return;
    }
    report("fd_offset", NULL);
}

static void check_vregs(void)
{
    char d[128];
    const int width = use_avx ? 32 : 16;
    const char *kind = use_avx ? "ymm" : "xmm";

    for (int r = 0; r < 8; r++) {
        for (int i = 0; i < width; i++) {
            if (vregs_out[r * width + i] != vregs_in[r * width + i]) {
                snprintf(d, sizeof d, "%s%d byte %d is 0x%02x, expected 0x%02x", kind, r + 8, i,
                         vregs_out[r * width + i], vregs_in[r * width + i]);
                report("vregs", d);
                return;
            }
        }
    }
    report("vregs", NULL);
}

static void check_pid(void)
{
    char d[128];
    pid_t now = getpid();

    if (now != pid_before) {
        snprintf(d, sizeof d, "getpid() is %d, printed %d", (int)now, (int)pid_before);
        report("pid", d);
        return;
    }
    report("pid", NULL);
}

static void check_exe(void)
{
    static char now[4096], d[4096 * 2 + 64];
    ssize_t n = readlink("/proc/self/exe", now, sizeof now - 1);

    if (n < 0) {
        snprintf(d, sizeof d, "readlink failed: %s", strerror(errno));
        report("exe", d);
        return;
    }
    now[n] = '\0';
    if (strcmp(now, exe_before) != 0) {
        snprintf(d, sizeof d, "'%s', expected '%s'", now, exe_before);
        report("exe", d);
        return;
    }
    report("exe", NULL);
}

/* ---- main ---------------------------------------------------------------- */

static long long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (long long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* Reads one line from stdin (without the newline); returns 0 on EOF before
 * any data, 1 otherwise (a final unterminated line still counts). */
static int read_line(char *buf, size_t cap)
{
    size_t len = 0;
    int got_data = 0;

    while (len < cap - 1) {
        ssize_t n = read(0, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got_data = 1;
        char *nl = memchr(buf + len, '\n', (size_t)n);
        len += (size_t)n;
        if (nl) {
            len = (size_t)(nl - buf);
            break;
        }
    }
    buf[len] = '\0';
    return got_data;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DATAFILE SLEEP_MS\n", argv[0]);
        return 2;
    }
    char *end;
    long sleep_ms = strtol(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || sleep_ms < 0) {
        fprintf(stderr, "richstate: bad SLEEP_MS '%s'\n", argv[2]);
        return 2;
    }
    pg = (size_t)sysconf(_SC_PAGESIZE);

    /* 1. Build up state. */
    setup_heap();
    setup_tls();
    setup_signals();
    setup_file(argv[1]);
    setup_anon();
    setup_identity();
    __builtin_cpu_init();
    use_avx = __builtin_cpu_supports("avx");
    fill_pattern(vregs_in, sizeof vregs_in, VREG_SEED);
    memset(vregs_out, 0, sizeof vregs_out);
    sleep_req.tv_sec = sleep_ms / 1000;
    sleep_req.tv_nsec = (sleep_ms % 1000) * 1000000L;

    /* 2. Tell the tool where to find us. */
    printf("ready %d\n", (int)pid_before);
    fflush(stdout);

    /* 3. The capture window. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sleep_holding_vregs();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("slept %lld\n", ms_between(&t0, &t1));

    /* 4. Verify. */
    check_heap();
    check_mmap_pattern();
    check_mmap_holes();
    check_mmap_zero();
    check_file_private();
    check_file_clean();
    check_tls();
    check_sigmask();
    check_sigaltstack();
    check_sigusr1();
    check_sigaction();
    check_fd();
    check_vregs();
    check_pid();
    check_exe();

    /* 5. Verdict. */
    if (failures == 0)
        printf("ALL OK\n");
    else
        printf("FAILED %d\n", failures);
    fflush(stdout);

    /* 6. Second capture point: block on stdin. */
    char line[4096];
    if (read_line(line, sizeof line))
        printf("got %s\n", line);
    else
        printf("eof\n");
    fflush(stdout);
    return failures == 0 ? 0 : 1;
}
