/*
 * A process whose memory layout is generated from a seed, to round-trip through capture and
 * restore: many mappings, thousands of separately populated runs, huge sparse regions, identical
 * pages, zero pages inside written runs, mprotect splits (PROT_NONE too), mremap'd regions
 * (grown and moved), MAP_GROWSDOWN, private file mappings with changed pages, shared anonymous
 * memory, a transparent-huge-page region, and a sparsely written brk heap of HEAP_MIB.
 * Seed 0 is the fixed layout of issue 9 instead: a 3 MiB malloc'd heap of a repeating pattern, a
 * 64 MiB mapping with every 7th page written, a read-only page, a private file mapping with one
 * changed page, a signal handler, an alternate stack and a blocked signal mask.
 *
 * Usage: memlayout DIR SEED HEAP_MIB. Builds the layout (files go into DIR), reads all of it once,
 * prints "ready PID SUM", then answers every line of stdin with "sum SUM": SUM hashes every byte
 * of every region it made, with the regions' addresses and sizes, the signal mask, the alternate
 * stack and the handler. A restored process must print the SUM the original printed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL
#define MIB (1UL << 20)
#define MAX_REGIONS 8192

struct region {
    unsigned char *addr;
    size_t len;
    int inaccessible;               /* PROT_NONE: made readable while it is hashed */
};

static struct region regions[MAX_REGIONS];
static int nregions;
static uint64_t rng;
static const char *dir;
static int nfiles;

/* splitmix64: the whole layout follows from the seed. */
static uint64_t next(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return next() % n;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static void track(void *addr, size_t len, int inaccessible)
{
    if (nregions == MAX_REGIONS)
        die("too many regions");
    regions[nregions++] = (struct region){addr, len, inaccessible};
}

static unsigned char *map_anon(size_t len, int extra_flags)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra_flags,
                   -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    return p;
}

/* A page of random bytes, or (one time in four) of one of eight patterns shared by many pages. */
static void fill_page(unsigned char *page)
{
    if (below(4) == 0) {
        memset(page, 0x11 * (int)(1 + below(8)), PAGE);
        return;
    }
    for (size_t i = 0; i < PAGE; i += 8) {
        uint64_t v = next();
        memcpy(page + i, &v, 8);
    }
}

static void fill(unsigned char *p, size_t pages)
{
    for (size_t i = 0; i < pages; i++)
        fill_page(p + i * PAGE);
}

static void dense(void)
{
    size_t pages = 1 + below(64);
    unsigned char *p = map_anon(pages * PAGE, 0);
    fill(p, pages);
    if (pages > 2 && below(2))
        memset(p + (1 + below(pages - 2)) * PAGE, 0, PAGE);   /* a zero page inside a written run */
    track(p, pages * PAGE, 0);
}

/* Up to 256 MiB of which a few pages, in runs of 1-4, are written. */
static void sparse(void)
{
    size_t pages = (16 + below(240)) * MIB / PAGE, gap = 2 + below(64);
    unsigned char *p = map_anon(pages * PAGE, 0);
    for (size_t at = below(gap); at < pages; at += 1 + below(2 * gap)) {
        size_t run = 1 + below(4);
        if (at + run > pages)
            run = pages - at;
        fill(p + at * PAGE, run);
        at += run;
    }
    track(p, pages * PAGE, 0);
}

/* 6,000 separately written runs in 48 MiB: more than one PAGEMAP_SCAN call returns. */
static void many_runs(void)
{
    size_t pages = 48 * MIB / PAGE;
    unsigned char *p = map_anon(pages * PAGE, 0);
    for (size_t at = 0; at + 2 <= pages; at += 2)
        if (below(2))
            fill_page(p + at * PAGE);
    track(p, pages * PAGE, 0);
}

/* Filled, then parts made read-only or inaccessible: one mapping split into several. */
static void protect_split(void)
{
    size_t pages = 8 + below(56);
    unsigned char *p = map_anon(pages * PAGE, 0);
    int none[64] = {0};
    fill(p, pages);
    for (size_t cuts = 1 + below(4); cuts > 0; cuts--) {
        size_t at = below(pages), len = 1 + below(pages - at);
        int to = below(3) == 0 ? PROT_NONE : PROT_READ;
        if (mprotect(p + at * PAGE, len * PAGE, to) != 0)
            die("mprotect");
        for (size_t i = at; i < at + len; i++)
            none[i] = to == PROT_NONE;
    }
    for (size_t i = 0; i < pages; i++)
        track(p + i * PAGE, PAGE, none[i]);
}

/* Grown in place or moved by mremap, then written in its new part. */
static void remapped(void)
{
    size_t pages = 2 + below(30), grown = pages + 1 + below(32);
    unsigned char *p = map_anon(pages * PAGE, 0);
    fill(p, pages);
    unsigned char *q;
    if (below(2)) {
        q = mremap(p, pages * PAGE, grown * PAGE, MREMAP_MAYMOVE);
    } else {
        unsigned char *target = map_anon(grown * PAGE, 0);
        q = mremap(p, pages * PAGE, grown * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    }
    if (q == MAP_FAILED)
        die("mremap");
    fill(q + pages * PAGE, below(grown - pages + 1));
    track(q, grown * PAGE, 0);
}

static void grows_down(void)
{
    size_t pages = 2 + below(16);
    unsigned char *p = map_anon(pages * PAGE, MAP_GROWSDOWN);
    fill(p + below(pages) * PAGE, 1);
    fill(p + (pages - 1) * PAGE, 1);
    track(p, pages * PAGE, 0);
}

/* A private mapping of a new file: some pages changed, one written with what the file holds. */
static unsigned char *file_private(size_t pages)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/layout-%d.bin", dir, nfiles++);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(path);
    unsigned char page[PAGE];
    for (size_t i = 0; i < pages; i++) {
        fill_page(page);
        if (write(fd, page, PAGE) != (ssize_t)PAGE)
            die("write");
    }
    unsigned char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        die("mmap file");
    if (pread(fd, page, PAGE, 0) != (ssize_t)PAGE)
        die("pread");
    close(fd);
    memcpy(p, page, PAGE);                                   /* copied on write, equal to the file */
    for (size_t n = below(pages); n > 0; n--)
        fill_page(p + below(pages) * PAGE);
    track(p, pages * PAGE, 0);
    return p;
}

static void shared_anon(void)
{
    size_t pages = 1 + below(32);
    unsigned char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap shared");
    for (size_t i = 0; i < pages; i++)
        if (below(2))
            fill_page(p + i * PAGE);
    track(p, pages * PAGE, 0);
}

/* 4 MiB that may become transparent huge pages, a few scattered pages written. */
static void huge_pages(void)
{
    size_t len = 4 * MIB;
    unsigned char *raw = map_anon(len + 2 * MIB, 0);
    unsigned char *p = (unsigned char *)(((uintptr_t)raw + 2 * MIB - 1) & ~(uintptr_t)(2 * MIB - 1));
    madvise(p, len, MADV_HUGEPAGE);
    for (int n = 0; n < 8; n++)
        fill_page(p + below(len / PAGE) * PAGE);
    track(p, len, 0);
}

/* One huge, nearly empty region: 1 GiB with a handful of pages. */
static void huge_sparse(void)
{
    size_t len = 1024 * MIB;
    unsigned char *p = map_anon(len, 0);
    for (int n = 0; n < 16; n++)
        fill_page(p + below(len / PAGE) * PAGE);
    track(p, len, 0);
}

static void heap(size_t mib)
{
    unsigned char *p = sbrk(0);
    if (sbrk(mib * MIB) == (void *)-1)
        die("sbrk");
    p = (unsigned char *)(((uintptr_t)p + PAGE - 1) & ~(PAGE - 1));
    size_t pages = mib * MIB / PAGE - 1;
    for (size_t at = 0; at < pages; at += 1 + below(512))
        fill_page(p + at * PAGE);
    track(p, pages * PAGE, 0);
}

static volatile sig_atomic_t usr1;
static void on_usr1(int sig)
{
    (void)sig;
    usr1++;
}

/* The program of issue 9. */
static void fixed_layout(void)
{
    size_t heap_bytes = 3 * MIB;
    unsigned char *h = malloc(heap_bytes);
    for (size_t i = 0; i < heap_bytes; i++)
        h[i] = (unsigned char)(i % 251);
    track(h, heap_bytes, 0);
    size_t big = 64 * MIB;
    unsigned char *b = map_anon(big, 0);
    for (size_t p = 0; p < big / PAGE; p += 7)
        b[p * PAGE] = (unsigned char)((p & 0xff) | 1);
    track(b, big, 0);
    unsigned char *ro = map_anon(PAGE, 0);
    memset(ro, 0x5a, PAGE);
    mprotect(ro, PAGE, PROT_READ);
    track(ro, PAGE, 0);
    unsigned char *f = file_private(4);
    f[PAGE] = 'y';
}

static void generated_layout(size_t heap_mib)
{
    size_t elements = 40 + below(160);
    for (size_t e = 0; e < elements; e++) {
        switch (below(9)) {
        case 0: case 1: dense(); break;
        case 2: sparse(); break;
        case 3: protect_split(); break;
        case 4: remapped(); break;
        case 5: grows_down(); break;
        case 6: file_private(1 + below(32)); break;
        case 7: shared_anon(); break;
        default: dense(); break;
        }
    }
    many_runs();
    huge_pages();
    huge_sparse();
    heap(heap_mib);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001B3ULL;
}

/* Hashes every byte; pages of zeros are recognised first (vectorised) and hashed as one word. */
static uint64_t checksum(void)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    for (int r = 0; r < nregions; r++) {
        struct region *g = &regions[r];
        if (g->inaccessible && mprotect(g->addr, g->len, PROT_READ) != 0)
            die("mprotect for reading");
        h = mix(mix(h, (uintptr_t)g->addr), g->len);
        for (size_t off = 0; off < g->len; off += PAGE) {
            const uint64_t *w = (const uint64_t *)(g->addr + off);
            uint64_t any = 0;
            for (size_t i = 0; i < PAGE / 8; i++)
                any |= w[i];
            if (any == 0) {
                h = mix(h, off);
                continue;
            }
            for (size_t i = 0; i < PAGE / 8; i++)
                h = mix(h, w[i] + i);
        }
        if (g->inaccessible && mprotect(g->addr, g->len, PROT_NONE) != 0)
            die("mprotect back");
    }
    sigset_t mask;
    stack_t alt;
    struct sigaction sa;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    sigaltstack(NULL, &alt);
    sigaction(SIGUSR1, NULL, &sa);
    h = mix(h, *(uint64_t *)&mask);
    h = mix(mix(mix(h, (uintptr_t)alt.ss_sp), alt.ss_size), (uint64_t)alt.ss_flags);
    return mix(h, (uintptr_t)sa.sa_handler);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: memlayout DIR SEED HEAP_MIB\n");
        return 2;
    }
    dir = argv[1];
    uint64_t seed = strtoull(argv[2], NULL, 10);
    rng = seed;
    if (seed == 0)
        fixed_layout();
    else
        generated_layout(strtoul(argv[3], NULL, 10));
    signal(SIGUSR1, on_usr1);
    stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536};
    sigaltstack(&ss, NULL);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR2);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    printf("ready %d %016" PRIx64 "\n", getpid(), checksum());
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        printf("sum %016" PRIx64 "\n", checksum());
        fflush(stdout);
    }
    return 0;
}
