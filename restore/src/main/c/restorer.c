/*
 * spice-restorer: rebuilds a process from a Spice image, from inside the new process.
 *
 * Freestanding (no libc), static, linked at RESTORER_BASE so that its code, data, stack
 * and the image metadata all sit in one fixed range that the restored process does not use
 * (the Java launcher refuses images that overlap it). One binary plays three roles:
 *
 *   launcher  started by Java: maps the image metadata and opens the mapped files, joins the
 *             instance's cgroup, clones the init process into fresh PID and mount namespaces,
 *             then waits for it (or returns at once with --detach), killing it if its lifeline
 *             pipe closes. (A zygote's init does the image part itself, once told which.)
 *   init      PID 1 of the new namespace: mounts a private /proc, clones the restored process
 *             at its original PID (clone3 set_tid), then queues the working set's reads while
 *             that process maps its memory; or in exec mode clones the process that execs the
 *             program to boot; reaps children; exits with the process's status.
 *   restore   the future process itself: in one pass over the metadata it clears its own
 *             address space, moves the vDSO, maps memory straight from the image and the
 *             original files, reopens files, sets process and thread state, reports "ok", and
 *             finally jumps into its old registers through rt_sigreturn, unmapping itself.
 *
 * Usage: spice-restorer --status=FD [--detach] [--cgroup=DIR] [--lifeline=FD] [--prefetch=MODE] restore IMAGE
 *        spice-restorer --status=FD [--cgroup=DIR] [--lifeline=FD] exec DIR PROGRAM [ARG...]
 *        spice-restorer --status=FD [--cgroup=DIR] [--lifeline=FD] --command=FD zygote
 * The exec mode boots a program the same way (fresh namespaces, same init) instead of restoring.
 * The zygote mode prepares everything but the image and restores when told which (see init()).
 * The status fd receives one line: "ok PID INIT_PID TL TI T0 T1 T2 T3" (host PIDs, then CLOCK_MONOTONIC
 * ns when the launcher started, the init started, the restore started, the address space was
 * emptied, memory was mapped, all state was set) or "error MESSAGE". docs/architecture.md describes every step.
 */
#include "sys.h"
#include "image.h"

#define RESTORER_BASE  0x200000000000ul   /* must match the link address in the Makefile */
#define RESTORER_SIZE  0x10000000ul       /* 256 MiB: everything the restorer maps lives here */
#define META_BASE      (RESTORER_BASE + 0x1000000ul)   /* image header + metadata, mapped */
#define SCRATCH_BASE   (RESTORER_BASE + 0x800000ul)    /* temporary homes while moving things */
#define PAGE           4096ul
#define STACK_SIZE     (256 * 1024)
#define MAX_OWN_MAPS   128
#define MAX_FILES      4096
#define HIGH_FD_FLOOR  64                 /* our own fds move above every restored fd */

/* ---------- minimal C runtime: the compiler may emit calls to these ---------- */

void *memcpy(void *d, const void *s, size_t n)
{
    char *dp = d;
    const char *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    char *dp = d;
    while (n--)
        *dp++ = (char)c;
    return d;
}

static int has_prefix(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return 0;
    return 1;
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* ---------- state shared by the three roles (inherited across clone) ---------- */

static char boot_stack[STACK_SIZE] __attribute__((aligned(16)));
char *const boot_stack_top = boot_stack + STACK_SIZE;

struct own_map { uint64_t start, end; int prot; int kind; int has_file; };
static struct own_map own_maps[MAX_OWN_MAPS];   /* the launcher's address space, from /proc */
static int own_map_count;

static int status_fd = -1, image_fd = -1, hostproc_fd = -1;
static const struct img_header *hdr;
static const struct img_process *proc;
static const struct img_thread *threads[1];
static const struct img_vma *vmas;
static const struct img_run *runs;
static const struct img_file *files;
static const struct img_fd *fds;
static const char *strings;
static const uint64_t *auxv;
static const struct img_sigaction *sigactions;
static const struct img_rlimit *rlimits;
static const uint32_t *groups;
static uint64_t vma_count, run_count, file_count, fd_count, strings_len, auxv_len, group_count;
static const struct img_ws_range *ws;     /* the working set, if the image has one */
static const struct img_ws_data *ws_data;
static uint64_t ws_count;
enum { PREFETCH_NONE, PREFETCH_READ, PREFETCH_FULL, PREFETCH_RECORD };
static int prefetch_mode = PREFETCH_FULL;
static int working_set_cached;              /* a hot restore: see check_working_set_cached() */
static int file_fds[MAX_FILES];
static uint64_t t_launch, t_init, t_start, t_cleared, t_mapped, t_state;

/* ---------- reporting ---------- */

static char msg[512];
static size_t msg_len;

static void put(const char *s)
{
    while (*s && msg_len < sizeof msg - 2)
        msg[msg_len++] = *s++;
}

static void put_num(int64_t v)
{
    char buf[24];
    int i = 0;
    uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;
    do
        buf[i++] = (char)('0' + u % 10);
    while ((u /= 10) && i < 23);
    if (v < 0)
        put("-");
    while (i)
        msg[msg_len < sizeof msg - 2 ? msg_len++ : msg_len] = buf[--i];
}

static void flush_status(void)
{
    msg[msg_len++] = '\n';
    if (status_fd >= 0)
        sys3(__NR_write, status_fd, msg, msg_len);
    msg_len = 0;
}

static const char *errno_name(long e)
{
    switch (e) {
    case 1: return "EPERM";   case 2: return "ENOENT";  case 9: return "EBADF";
    case 12: return "ENOMEM"; case 13: return "EACCES"; case 14: return "EFAULT";
    case 16: return "EBUSY";  case 17: return "EEXIST"; case 20: return "ENOTDIR";
    case 21: return "EISDIR"; case 22: return "EINVAL"; case 24: return "EMFILE";
    case 28: return "ENOSPC"; case 38: return "ENOSYS"; default: return "errno";
    }
}

/* Reports "error WHAT: DETAIL" and ends this process; the init and launcher follow it. */
static __attribute__((noreturn)) void die(const char *what, const char *detail, long ret)
{
    msg_len = 0;
    put("error ");
    put(what);
    if (detail) {
        put(" ");
        put(detail);
    }
    if (IS_ERR(ret)) {
        put(": ");
        put(errno_name(-ret));
        put(" (");
        put_num(-ret);
        put(")");
    }
    flush_status();
    sys1(__NR_exit_group, 125);
    __builtin_unreachable();
}

static long check(long ret, const char *what, const char *detail)
{
    if (IS_ERR(ret))
        die(what, detail, ret);
    return ret;
}

static uint64_t now_ns(void)
{
    struct timespec_k ts;
    sys2(__NR_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
}

static const char *str_at(uint32_t off)
{
    return off < strings_len ? strings + off : "";
}

/* ---------- launcher: learn our own address space and the image ---------- */

static uint64_t parse_hex(const char **p)
{
    uint64_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (uint64_t)(c - 'a' + 10);
        else
            return v;
    }
}

/* Reads /proc/self/maps: the restore role must unmap all of it but the restorer and vDSO. */
static void read_own_maps(void)
{
    static char buf[32768];
    long fd = check(sys4(__NR_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0),
                    "open", "/proc/self/maps");
    size_t len = 0;
    long n;
    while ((n = sys3(__NR_read, fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    sys1(__NR_close, fd);
    buf[len] = 0;
    for (const char *p = buf; *p && own_map_count < MAX_OWN_MAPS;) {
        struct own_map *m = &own_maps[own_map_count++];
        m->start = parse_hex(&p);
        p++;                                   /* '-' */
        m->end = parse_hex(&p);
        p++;                                   /* ' ' */
        m->prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
                  (p[2] == 'x' ? PROT_EXEC : 0);
        const char *line_end = p;
        while (*line_end && *line_end != '\n')
            line_end++;
        const char *name = line_end;           /* the name is the last field, if any */
        while (name > p && name[-1] != ' ')
            name--;
        m->kind = 0;
        m->has_file = name < line_end && name[0] == '/';
        if (name < line_end && name[0] == '[') {
            if (line_end - name == 6 && name[1] == 'v' && name[2] == 'd')
                m->kind = VMA_VDSO;            /* [vdso] */
            else if (line_end - name == 6 && name[1] == 'v' && name[2] == 'v')
                m->kind = VMA_VVAR;            /* [vvar] */
            else if (line_end - name == 13 && name[1] == 'v' && name[5] == '_')
                m->kind = VMA_VVAR_VCLOCK;     /* [vvar_vclock] */
            else if (name[1] == 'v' && name[2] == 's')
                own_map_count--;               /* [vsyscall] lies above user space */
        }
        p = *line_end ? line_end + 1 : line_end;
    }
}

static const void *section_payload(const struct img_section *s) { return s + 1; }

/* Maps the header and metadata at META_BASE and indexes the sections, checking bounds. */
static void load_metadata(const char *path)
{
    image_fd = (int)check(sys4(__NR_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0),
                          "open image", path);
    struct img_header h;
    if (sys4(__NR_pread64, image_fd, &h, sizeof h, 0) != (long)sizeof h)
        die("image", "is truncated", 0);
    for (int i = 0; i < 8; i++)
        if (h.magic[i] != IMG_MAGIC[i])
            die("image", "has no Spice magic", 0);
    if (h.version != IMG_VERSION || h.header_size != IMG_HEADER_SIZE)
        die("image", "has an unsupported version", 0);
    uint64_t meta_end = h.metadata_offset + h.metadata_size;
    if (h.metadata_offset != PAGE || meta_end > h.data_offset || h.data_offset % PAGE ||
        h.data_offset > RESTORER_SIZE - (META_BASE - RESTORER_BASE))
        die("image", "has an inconsistent header", 0);
    /* Exactly the metadata, in one read: a fault on the mapping would read 8 MiB around it. */
    sys3(__NR_readahead, image_fd, 0, h.data_offset);
    sys4(__NR_fadvise64, image_fd, 0, 0, POSIX_FADV_RANDOM);
    check(sys6(__NR_mmap, META_BASE, h.data_offset, PROT_READ,
               MAP_PRIVATE | MAP_FIXED_NOREPLACE, image_fd, 0), "map", "image metadata");
    hdr = (const struct img_header *)META_BASE;

    const char *p = (const char *)META_BASE + PAGE, *end = (const char *)META_BASE + meta_end;
    uint32_t nthreads = 0;
    for (uint32_t i = 0; i < hdr->section_count; i++) {
        const struct img_section *s = (const struct img_section *)p;
        if ((const char *)(s + 1) > end || s->length > (uint64_t)(end - (const char *)(s + 1)))
            die("image", "has a section beyond the metadata", 0);
        const void *payload = section_payload(s);
        uint64_t n = s->entry_size ? s->length / s->entry_size : 0;
        switch (s->type) {
        case IMG_SEC_PROCESS: proc = payload; break;
        case IMG_SEC_THREAD:
            if (nthreads++ == 0)
                threads[0] = payload;
            break;
        case IMG_SEC_VMAS: vmas = payload; vma_count = n; break;
        case IMG_SEC_RUNS: runs = payload; run_count = n; break;
        case IMG_SEC_FILES: files = payload; file_count = n; break;
        case IMG_SEC_FDS: fds = payload; fd_count = n; break;
        case IMG_SEC_STRINGS: strings = payload; strings_len = s->length; break;
        case IMG_SEC_AUXV: auxv = payload; auxv_len = s->length / 8; break;
        case IMG_SEC_SIGACTIONS: sigactions = payload; break;
        case IMG_SEC_RLIMITS: rlimits = payload; break;
        case IMG_SEC_GROUPS: groups = payload; group_count = s->length / 4; break;
        case IMG_SEC_WORKSET: ws = payload; ws_count = n; break;
        case IMG_SEC_WS_DATA: ws_data = s->length >= sizeof *ws_data ? payload : 0; break;
        default: break;                        /* optional sections of later writers */
        }
        p = (const char *)payload + ((s->length + 7) & ~7ul);
    }
    if (!proc || !threads[0] || !vmas || !strings || !sigactions || !rlimits)
        die("image", "lacks a required section", 0);
    if (nthreads != 1 || proc->thread_count != 1)
        die("image", "has more than one thread, which this restorer does not support yet", 0);
    if (file_count > MAX_FILES)
        die("image", "references too many files", 0);
    for (uint64_t i = 0; i < vma_count; i++) {
        const struct img_vma *v = &vmas[i];
        if (v->start >= v->end || v->start % PAGE || v->end % PAGE ||
            (v->file != IMG_NONE && v->file >= file_count) ||
            (uint64_t)v->first_run + v->run_count > run_count ||
            (v->start < RESTORER_BASE + RESTORER_SIZE && v->end > RESTORER_BASE))
            die("image", "has an invalid mapping", 0);
        uint64_t prev_end = v->start;           /* runs are sorted by start, not overlapping */
        for (uint32_t r = v->first_run; r < v->first_run + v->run_count; r++) {
            const struct img_run *run = &runs[r];
            if (run->start < prev_end || run->start + run->pages * PAGE > v->end ||
                run->data_offset < h.data_offset ||
                run->data_offset + run->pages * PAGE > h.data_offset + h.data_size)
                die("image", "has a page run outside its mapping or the data, or out of order", 0);
            prev_end = run->start + run->pages * PAGE;
        }
    }
    for (uint64_t i = 0; i < fd_count; i++)
        if (fds[i].fd < 0 || (fds[i].kind == FD_FILE && fds[i].file >= file_count))
            die("image", "has an invalid file descriptor entry", 0);
    if (ws_data && (ws_data->offset < h.data_offset || ws_data->offset + ws_data->bytes > h.data_offset + h.data_size))
        die("image", "has a working set outside its data", 0);
    if (proc->exe_file >= file_count)
        die("image", "has no executable file", 0);
}

/* ---------- restore: address space ---------- */

/* Everything the launcher had outside our range, except the vDSO pair, goes away. */
static void clear_address_space(void)
{
    for (int i = 0; i < own_map_count; i++) {
        struct own_map *m = &own_maps[i];
        if (m->kind || m->start == m->end || (m->start >= RESTORER_BASE && m->end <= RESTORER_BASE + RESTORER_SIZE))
            continue;
        check(sys2(__NR_munmap, m->start, m->end - m->start), "unmap", "launcher mapping");
        m->end = m->start;                      /* gone: a zygote cleared it ahead of time */
    }
}

static const struct img_vma *image_special(int kind)
{
    for (uint64_t i = 0; i < vma_count; i++)
        if ((int)vmas[i].kind == kind)
            return &vmas[i];
    return 0;
}

static int ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 < b1 && b0 < a1;
}

/*
 * Moves [vvar], [vvar_vclock] and [vdso] to where the process had them: its code keeps
 * pointers into the vDSO, and the vDSO reads the vvar pages at fixed offsets from itself,
 * so all three move by the same distance. Same kernel, same sizes (checked here again).
 */
static void place_vdso(void)
{
    struct own_map *cur[3] = {0, 0, 0};
    const struct img_vma *want[3];
    int64_t delta = 0;
    int have = 0;
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < own_map_count; i++)
            if (own_maps[i].kind == VMA_VDSO + k)
                cur[k] = &own_maps[i];
        want[k] = image_special(VMA_VDSO + k);
        if (!want[k]) {
            if (cur[k])                        /* the process had unmapped it */
                check(sys2(__NR_munmap, cur[k]->start, cur[k]->end - cur[k]->start),
                      "unmap", "vdso");
            continue;
        }
        if (!cur[k] || cur[k]->end - cur[k]->start != want[k]->end - want[k]->start)
            die("vdso", "layout differs from the captured kernel's", 0);
        int64_t d = (int64_t)(want[k]->start - cur[k]->start);
        if (have++ && d != delta)
            die("vdso", "parts moved apart in the image", 0);
        delta = d;
    }
    if (!have || delta == 0)
        return;
    int clash = 0;
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 3; j++)
            if (want[k] && cur[j] &&
                ranges_overlap(want[k]->start, want[k]->end, cur[j]->start, cur[j]->end))
                clash = 1;
    /* When old and new places overlap, park everything in scratch space first. */
    uint64_t park = SCRATCH_BASE;
    for (int pass = clash ? 0 : 1; pass < 2; pass++) {
        for (int k = 0; k < 3; k++) {
            if (!want[k])
                continue;
            uint64_t len = cur[k]->end - cur[k]->start;
            uint64_t to = pass == 0 ? park + (cur[k]->start - cur[0]->start) + 0x100000
                                    : want[k]->start;
            check(sys5(__NR_mremap, cur[k]->start, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to),
                  "move", "vdso");
            cur[k]->start = to;
            cur[k]->end = to + len;
        }
    }
}

/*
 * Our code and data are mappings of the restorer binary. PR_SET_MM_MAP refuses to change the
 * executable while the old one is still mapped, so each of them is replaced, in place and with
 * identical bytes, by anonymous memory: copy to scratch space, then mremap over the original.
 * The instruction after that mremap is fetched from the copy.
 */
static void anonymize_self(void)
{
    for (int i = 0; i < own_map_count; i++) {
        struct own_map *m = &own_maps[i];
        if (!m->has_file || m->start < RESTORER_BASE || m->end > META_BASE)
            continue;
        uint64_t len = m->end - m->start;
        check(sys6(__NR_mmap, SCRATCH_BASE, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
              "map", "scratch");
        memcpy((void *)SCRATCH_BASE, (void *)m->start, len);
        check(sys3(__NR_mprotect, SCRATCH_BASE, len, m->prot), "protect", "scratch");
        check(sys5(__NR_mremap, SCRATCH_BASE, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, m->start),
              "move", "restorer code");
        m->has_file = 0;                        /* done: a zygote anonymizes ahead of time */
    }
}

/*
 * Opens a file of the image, checking it is still the file that was captured. With `shared`
 * the descriptor is kept for further mappings of the file (read-only, closed after map_memory).
 */
static int open_file(uint32_t index, int flags, int shared)
{
    if (shared && file_fds[index] > 0)
        return file_fds[index];
    const struct img_file *f = &files[index];
    const char *path = str_at(f->path);
    int fd = (int)check(sys4(__NR_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0), "open", path);
    struct kstat st;
    check(sys2(__NR_fstat, fd, &st), "stat", path);
    if ((f->checks & FILE_CHECK_IDENTITY) &&
        (DEV_MAJOR(st.st_dev) != f->dev_major || DEV_MINOR(st.st_dev) != f->dev_minor ||
         st.st_ino != f->ino))
        die(path, "was replaced since the snapshot", 0);
    if ((f->checks & FILE_CHECK_CONTENT) &&
        ((uint64_t)st.st_size != f->size || (int64_t)st.st_mtime != f->mtime_sec ||
         st.st_mtime_nsec != f->mtime_nsec))
        die(path, "changed since the snapshot (size or modification time)", 0);
    if (shared)
        file_fds[index] = fd;
    return fd;
}

/*
 * Opens (and checks) every file that a mapping reads, before any page data is queued: a path
 * lookup reads directory and inode blocks one after the other, and queued behind megabytes of
 * data each of those reads would wait for all of it. (Measured on lr_serving, 173 files: the
 * lookups alone take about 10 ms cold; behind 8 MiB of queued image data they took 25-29 ms.)
 * The init opens them; the restored process inherits the descriptors and closes them after
 * mapping.
 */
static void open_files(void)
{
    for (uint64_t i = 0; i < vma_count; i++)
        if (vmas[i].kind == VMA_FILE && !((vmas[i].flags & VMA_F_SHARED) && (vmas[i].prot & PROT_WRITE)))
            open_file(vmas[i].file, O_RDONLY, 1);
}

static void close_files(void)
{
    for (uint64_t i = 0; i < file_count; i++)
        if (file_fds[i] > 0) {
            sys1(__NR_close, file_fds[i]);
            file_fds[i] = 0;
        }
}

/* Copies one run of stored pages from the image into memory that is already mapped (and writable). */
static void copy_run(const struct img_run *run)
{
    uint64_t done = 0, len = run->pages * PAGE;
    while (done < len) {
        long n = sys4(__NR_pread64, image_fd, run->start + done, len - done, run->data_offset + done);
        if (n <= 0)
            die("read", "image pages", n < 0 ? n : 0);
        done += (uint64_t)n;
    }
}

/* Copies all of a mapping's stored pages (the stack, shared memory). */
static void copy_runs(const struct img_vma *v)
{
    for (uint32_t r = v->first_run; r < v->first_run + v->run_count; r++)
        copy_run(&runs[r]);
}

/*
 * How many mappings the restore may add. Every run mapped from the image is a mapping of its own
 * and splits the memory around it, so a sparse process with tens of thousands of runs (written
 * pages scattered over a large region, or equal pages stored once) would need more mappings than
 * vm.max_map_count allows (mmap fails with ENOMEM), and far more than the original had. Past a
 * quarter of that limit the smallest runs are copied into the mapping instead (pread), which then
 * stays one mapping: those pages are private to the instance rather than shared through the page
 * cache, and read at restore rather than on first touch.
 */
#define MAX_SPLITS 25000              /* see isolate_pages() */
#define COPY_SIZES 64                 /* run sizes told apart, in pages; larger ones count as one */
#define MAP_COUNT_MARGIN 1024         /* for the restorer and what the process maps soon */
static uint64_t copy_up_to;           /* runs of at most this many pages are copied, not mapped */
static uint64_t max_splits;           /* isolate_pages() may split this often (record mode) */

static uint64_t max_map_count(void)
{
    char buf[32];
    uint64_t n = 0;
    long fd = sys4(__NR_openat, hostproc_fd, "sys/vm/max_map_count", O_RDONLY | O_CLOEXEC, 0);
    long len = IS_ERR(fd) ? fd : sys3(__NR_read, fd, buf, sizeof buf);
    if (!IS_ERR(fd))
        sys1(__NR_close, fd);
    for (long i = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++)
        n = n * 10 + (uint64_t)(buf[i] - '0');
    return n ? n : 65530;             /* the kernel's default */
}

/* Whether map_runs() maps this mapping's runs (the others' are copied anyway). */
static int runs_mapped(const struct img_vma *v)
{
    return v->kind == VMA_FILE || (v->kind == VMA_ANON && !(v->flags & VMA_F_STACK));
}

static void plan_mapping_budget(void)
{
    uint64_t limit = max_map_count(), by_size[COPY_SIZES + 1] = {0}, mapped = 0;
    for (uint64_t i = 0; i < vma_count; i++)
        if (runs_mapped(&vmas[i]))
            for (uint32_t r = vmas[i].first_run; r < vmas[i].first_run + vmas[i].run_count; r++, mapped++)
                by_size[runs[r].pages < COPY_SIZES ? runs[r].pages : COPY_SIZES]++;
    copy_up_to = 0;
    while (2 * mapped > limit / 4) {
        if (++copy_up_to == COPY_SIZES) {
            copy_up_to = ~0ul;        /* even large runs are too many: copy them all */
            mapped = 0;
            break;
        }
        mapped -= by_size[copy_up_to];
    }
    uint64_t used = vma_count + 2 * mapped + MAP_COUNT_MARGIN;
    max_splits = used < limit ? (limit - used) / 2 : 0;
    if (max_splits > MAX_SPLITS)
        max_splits = MAX_SPLITS;
}

/*
 * Maps a mapping's stored pages straight from the image over it (MAP_PRIVATE: shared until
 * written); the runs past the budget are copied in (plan_mapping_budget()).
 */
static void map_runs(const struct img_vma *v, int prot)
{
    int copies = 0;
    for (uint32_t r = v->first_run; r < v->first_run + v->run_count; r++) {
        if (runs[r].pages <= copy_up_to) {
            copies = 1;
            continue;
        }
        check(sys6(__NR_mmap, runs[r].start, runs[r].pages * PAGE, prot, MAP_PRIVATE | MAP_FIXED, image_fd,
                   (long)runs[r].data_offset),
              "map", "image pages");
    }
    if (!copies)
        return;
    if (!(prot & PROT_WRITE))
        check(sys3(__NR_mprotect, v->start, v->end - v->start, prot | PROT_WRITE), "protect", "copied pages");
    for (uint32_t r = v->first_run; r < v->first_run + v->run_count; r++)
        if (runs[r].pages <= copy_up_to)
            copy_run(&runs[r]);
    if (!(prot & PROT_WRITE))
        check(sys3(__NR_mprotect, v->start, v->end - v->start, prot), "protect", "copied pages");
}

/* The mapping that contains `address`, or 0 (the mappings are sorted by start). */
static const struct img_vma *vma_at(uint64_t address)
{
    uint64_t lo = 0, hi = vma_count;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (vmas[mid].end <= address)
            lo = mid + 1;
        else if (vmas[mid].start > address)
            hi = mid;
        else
            return &vmas[mid];
    }
    return 0;
}

#define READ_GAP (4 * PAGE)                     /* a gap this small is read rather than split off */

/* Consecutive readahead requests on one file, merged while they are close and ascending. */
struct reads {
    int fd;
    uint64_t from, to;
    int count_only;                             /* count uncached pages instead of reading them */
    uint64_t uncached;
};

static void reads_flush(struct reads *r)
{
    if (r->fd > 0 && !r->count_only)
        sys3(__NR_readahead, r->fd, r->from, r->to - r->from);
    if (r->fd > 0 && r->count_only) {
        struct cachestat_range range = {r->from, r->to - r->from};
        struct cachestat cs;
        uint64_t pages = (r->to - r->from) / PAGE;
        r->uncached += IS_ERR(sys4(__NR_cachestat, r->fd, &range, &cs, 0)) ? pages : pages - cs.nr_cache;
    }
    r->fd = -1;
}

static void reads_add(struct reads *r, int fd, uint64_t from, uint64_t to)
{
    if (r->fd == fd && from >= r->from && from <= r->to + READ_GAP) {
        if (to > r->to)
            r->to = to;
        return;
    }
    reads_flush(r);
    r->fd = fd;
    r->from = from;
    r->to = to;
}


/*
 * Goes over the working set's pages where they are read from: merged ranges of the image and
 * of the files opened so far. Queues their reads, or with `count_only` tells whether any page is
 * missing from the page cache (a nonzero count; a cold restore stops at the first range, and
 * kernels without cachestat() count every page as missing).
 */
static uint64_t walk_working_set(int count_only)
{
    struct reads image = {-1, 0, 0, count_only, 0}, file = {-1, 0, 0, count_only, 0};
    for (uint64_t i = 0; i < vma_count; i++)   /* first what map_memory copies */
        if ((vmas[i].kind == VMA_ANON && (vmas[i].flags & VMA_F_STACK)) || vmas[i].kind == VMA_SHARED_ANON)
            for (uint32_t r = vmas[i].first_run; r < vmas[i].first_run + vmas[i].run_count; r++)
                reads_add(&image, image_fd, runs[r].data_offset, runs[r].data_offset + runs[r].pages * PAGE);
    for (uint64_t i = 0; i < ws_count && !(count_only && image.uncached); i++) {
        const struct img_vma *v = vma_at(ws[i].start);
        if (!v)
            continue;
        uint64_t at = ws[i].start, end = ws[i].start + ws[i].pages * PAGE;
        int fd = v->kind == VMA_FILE && !(v->flags & VMA_F_SHARED) ? file_fds[v->file] : -1;
        for (uint32_t r = v->first_run; r < v->first_run + v->run_count && at < end; r++) {
            uint64_t run_end = runs[r].start + runs[r].pages * PAGE;
            if (run_end <= at || runs[r].start >= end)
                continue;                       /* runs are sorted by start: skip those before */
            if (runs[r].start > at && fd > 0)   /* the part before this run comes from the file */
                reads_add(&file, fd, v->file_offset + (at - v->start), v->file_offset + (runs[r].start - v->start));
            uint64_t from = at > runs[r].start ? at : runs[r].start;
            uint64_t to = end < run_end ? end : run_end;
            reads_add(&image, image_fd, runs[r].data_offset + (from - runs[r].start),
                      runs[r].data_offset + (to - runs[r].start));
            at = to;
        }
        if (at < end && fd > 0)
            reads_add(&file, fd, v->file_offset + (at - v->start), v->file_offset + (end - v->start));
    }
    reads_flush(&image);
    reads_flush(&file);
    return image.uncached + file.uncached;
}

/*
 * Reads the working set into the page cache, exactly its pages (small gaps merged): the pages
 * stored in the image from where their runs put them (the ordered layout keeps them close
 * together), the others from the mapped files (libraries), which open_files() has opened;
 * what map_memory copies (the stack) first, as it is needed first. The init calls this right
 * after creating the process, so the queuing itself (readahead() blocks once the device queue
 * is full) overlaps the mapping. readahead() only queues the reads; the disk streams them while
 * the restore goes on. Page faults alone would read around every fault (read_ahead_kb is 8 MiB
 * on this machine kind) or page by page. (Measured: with the reads queued before the process
 * was created, the stack's copy waited 3-21 ms behind the rest.)
 */
static void read_working_set(void)
{
    if (prefetch_mode == PREFETCH_NONE || !ws_count || working_set_cached)
        return;
    sys4(__NR_fadvise64, image_fd, 0, 0, POSIX_FADV_RANDOM);  /* other reads: no read-around */
    walk_working_set(0);
}

/*
 * A hot restore: the image's part of the working set is all in the page cache (cachestat() over
 * the ranges that would be read, a few dozen calls thanks to the ordered layout; checked before
 * the files are opened, so only the image counts). Then no read is queued and no mapping gets
 * MADV_RANDOM (on lr_serving's 900 mappings that alone is 1 ms); the working set is still
 * populated. (Measured and rejected: populating only the written pages when hot and leaving the
 * read ones to fault-around. Hot restores got shorter, hello 2.9 -> 1.6 ms, but the first
 * invocations took 120-2,900 faults and were 1.3x-2.6x slower than warm ones.) The mapped files
 * are taken to be as hot as the image. Kernels without cachestat() always read.
 */
static void check_working_set_cached(void)
{
    if (prefetch_mode != PREFETCH_RECORD && ws_count)
        working_set_cached = walk_working_set(1) == 0;
}

/* Everything the restore needs from the disk before the process is created. */
static void load_image(const char *path)
{
    load_metadata(path);
    plan_mapping_budget();
    check_working_set_cached();
    open_files();
}

/*
 * Reliable prefetch of the working set before the process runs: page-table entries for every
 * page it reads (MADV_POPULATE_READ) and private copies of every page it writes
 * (MADV_POPULATE_WRITE), so its first invocation takes neither page faults nor copy-on-write
 * faults there. Their reads are queued (read_working_set): populating a page waits for its read.
 * One madvise() per range costs: on hello's 1,156 cached read pages 0.1 ms in one call, 0.34 ms
 * page by page, so nearby read ranges are joined. An error only loses the prefetch, never the
 * restore.
 */
static void populate(uint64_t start, uint64_t end, int write)
{
    long r = sys3(__NR_madvise, start, end - start, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
    if (IS_ERR(r) && write)
        sys3(__NR_madvise, start, end - start, MADV_POPULATE_READ);
}

static void populate_working_set(void)
{
    if (prefetch_mode == PREFETCH_NONE || !ws_count)
        return;
    uint64_t from = 0, to = 0;                  /* the range gathered so far */
    const struct img_vma *in = 0;
    int writing = 0;
    for (uint64_t i = 0; i < ws_count; i++) {
        int write = (ws[i].flags & WS_WRITTEN) && prefetch_mode == PREFETCH_FULL;
        uint64_t start = ws[i].start, end = start + ws[i].pages * PAGE;
        const struct img_vma *v = vma_at(start);
        /*
         * Read ranges of one file mapping with nothing from the image in it, a few pages apart,
         * become one call: read_working_set merged the same gap (READ_GAP), so it is read.
         */
        if (to && !write && !writing && v && v == in && v->kind == VMA_FILE && !v->run_count &&
            start >= to && start <= to + READ_GAP) {
            to = end;
            continue;
        }
        if (to)
            populate(from, to, writing);
        from = start;
        to = end;
        in = v;
        writing = write;
    }
    if (to)
        populate(from, to, writing);
}

/*
 * With a prefetch, what is left lazy is what the recorded invocations never touched: a fault
 * there reads that page only (and a working-set page populated before its read completed waits
 * for that read instead of starting another). With the kernel's read-around it would read ra_pages around it
 * (read_ahead_kb: 8 MiB on this machine kind, the whole rest of a small image) on the request's
 * critical path.
 */
static void no_read_around(void)
{
    if (prefetch_mode == PREFETCH_NONE || !ws_count || working_set_cached)
        return;
    for (uint64_t i = 0; i < vma_count; i++)
        if ((vmas[i].kind == VMA_FILE && !(vmas[i].flags & VMA_F_SHARED)) || vmas[i].run_count)
            sys3(__NR_madvise, vmas[i].start, vmas[i].end - vmas[i].start, MADV_RANDOM);
}

/*
 * Recording a working set: a fault on a file page maps up to 15 of its cached neighbours too
 * (fault-around, which MADV_RANDOM leaves on). The libraries' pages stay cached while other
 * processes map them, and a fault reads a whole folio of the file, so the recorded set would
 * hold many pages the process never touched. Each page of a file mapping, and of the image's
 * runs (a fault there reads a folio of the image too), therefore becomes a mapping of its own,
 * by flipping MADV_DONTDUMP on every other page: fault-around stops at the mapping's end.
 * Bounded, as every flipped page adds two mappings, by what vm.max_map_count leaves (see
 * plan_mapping_budget()) and MAX_SPLITS; past the bound the set is merely larger. (Measured: hello's set went from 1,439 to
 * 770 pages, of which library pages from 847 to 360; lr_serving's from 4,610 to 2,516.)
 */
static uint64_t splits;

static void isolate_pages(const struct img_vma *v, uint64_t start, uint64_t end)
{
    int flip = v->advice & VMA_ADV_DONTDUMP ? MADV_DODUMP : MADV_DONTDUMP;
    for (uint64_t page = start + PAGE; page < end && splits < max_splits; page += 2 * PAGE, splits++)
        sys3(__NR_madvise, page, PAGE, flip);
}

/* Where the final stub will stage the page that holds the rt_sigreturn gadget. */
static uint64_t gadget_page, staged_page;

static int address_free(uint64_t a)
{
    if (ranges_overlap(a, a + PAGE, RESTORER_BASE, RESTORER_BASE + RESTORER_SIZE))
        return 0;
    for (uint64_t i = 0; i < vma_count; i++)
        if (ranges_overlap(a, a + PAGE, vmas[i].start, vmas[i].end))
            return 0;
    return 1;
}

/*
 * Maps every mapping of the image. Anonymous memory is mapped straight from the image file
 * (MAP_PRIVATE: the page cache serves all instances, writes copy on demand); the stack and
 * the modified pages of file mappings are copied, so those mappings keep their identity.
 */
static void map_memory(void)
{
    for (uint64_t i = 0; i < vma_count; i++) {
        const struct img_vma *v = &vmas[i];
        uint64_t len = v->end - v->start;
        int prot = (int)v->prot;
        int fixed = MAP_FIXED_NOREPLACE | (v->flags & VMA_F_GROWSDOWN ? MAP_GROWSDOWN : 0);
        switch (v->kind) {
        case VMA_VDSO:
        case VMA_VVAR:
        case VMA_VVAR_VCLOCK:
            continue;                           /* placed by place_vdso() */
        case VMA_ANON:
            if (v->flags & VMA_F_STACK) {
                check(sys6(__NR_mmap, v->start, len, prot | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | fixed, -1, 0), "map", "stack");
                copy_runs(v);
                if (!(prot & PROT_WRITE))
                    check(sys3(__NR_mprotect, v->start, len, prot), "protect", "stack");
                break;
            }
            check(sys6(__NR_mmap, v->start, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | fixed, -1, 0),
                  "map", "anonymous memory");
            map_runs(v, prot);
            if (v->name != IMG_NONE)
                sys5(__NR_prctl, PR_SET_VMA, PR_SET_VMA_ANON_NAME, v->start, len,
                     str_at(v->name));
            break;
        case VMA_SHARED_ANON:
            check(sys6(__NR_mmap, v->start, len, prot | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS | fixed, -1, 0), "map", "shared memory");
            copy_runs(v);
            check(sys3(__NR_mprotect, v->start, len, prot), "protect", "shared memory");
            break;
        case VMA_FILE: {
            int shared = v->flags & VMA_F_SHARED;
            int fd = shared && (prot & PROT_WRITE)
                         ? open_file(v->file, O_RDWR, 0)
                         : open_file(v->file, O_RDONLY, 1);
            check(sys6(__NR_mmap, v->start, len, prot, (shared ? MAP_SHARED : MAP_PRIVATE) | fixed, fd,
                       (long)v->file_offset),
                  "map", str_at(files[v->file].path));
            map_runs(v, prot);                  /* the pages the process had modified */
            if (shared && (prot & PROT_WRITE))
                sys1(__NR_close, fd);
            /* The gadget's page gets a clean twin now, while the file is open. */
            uint64_t g = proc->sigreturn_gadget;
            if (g && !shared && g - 2 >= v->start && g - 2 < v->end) {
                gadget_page = (g - 2) & ~(PAGE - 1);
                for (staged_page = RESTORER_BASE - PAGE; !address_free(staged_page);)
                    staged_page -= PAGE;
                check(sys6(__NR_mmap, staged_page, PAGE, prot, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
                           fd, (long)(v->file_offset + (gadget_page - v->start))),
                      "map", "gadget page");
            }
            break;
        }
        default:
            die("image", "has a mapping of unknown kind", 0);
        }
        /*
         * Recording a working set: no read-around, so that (with the files' cached pages dropped)
         * a fault maps only the page touched, not its neighbours.
         */
        if (prefetch_mode == PREFETCH_RECORD && (v->kind == VMA_FILE || v->run_count))
            sys3(__NR_madvise, v->start, len, MADV_RANDOM);
        if (v->advice & VMA_ADV_DONTDUMP) sys3(__NR_madvise, v->start, len, MADV_DONTDUMP);
        if (v->advice & VMA_ADV_DONTFORK) sys3(__NR_madvise, v->start, len, MADV_DONTFORK);
        if (v->advice & VMA_ADV_WIPEONFORK) sys3(__NR_madvise, v->start, len, MADV_WIPEONFORK);
        if (v->advice & VMA_ADV_HUGEPAGE) sys3(__NR_madvise, v->start, len, MADV_HUGEPAGE);
        if (v->advice & VMA_ADV_NOHUGEPAGE) sys3(__NR_madvise, v->start, len, MADV_NOHUGEPAGE);
        if (prefetch_mode == PREFETCH_RECORD && v->kind == VMA_FILE)
            isolate_pages(v, v->start, v->end); /* after the advice above, which would undo it */
        else if (prefetch_mode == PREFETCH_RECORD)
            for (uint32_t r = v->first_run; r < v->first_run + v->run_count; r++)
                if (runs[r].pages > copy_up_to)
                    isolate_pages(v, runs[r].start, runs[r].start + runs[r].pages * PAGE);
    }
    close_files();
}

/* ---------- restore: files and process state ---------- */

static int move_high(int fd, int floor)
{
    if (fd < 0)
        return fd;
    int high = (int)check(sys3(__NR_fcntl, fd, F_DUPFD_CLOEXEC, floor), "move", "own fd");
    sys1(__NR_close, fd);
    return high;
}

static void restore_fds(void)
{
    int floor = HIGH_FD_FLOOR;
    for (uint64_t i = 0; i < fd_count; i++)
        if (fds[i].fd >= floor)
            floor = fds[i].fd + 1;
    status_fd = move_high(status_fd, floor);
    image_fd = move_high(image_fd, floor);
    hostproc_fd = move_high(hostproc_fd, floor);
    sys3(__NR_close_range, 3, floor - 1, 0);
    int keep[3] = {0, 0, 0};
    for (uint64_t i = 0; i < fd_count; i++) {
        const struct img_fd *e = &fds[i];
        if (e->kind == FD_STDIO) {
            if (e->fd < 3)
                keep[e->fd] = 1;               /* the caller's stdin/stdout/stderr stay */
            continue;
        }
        const struct img_file *f = &files[e->file];
        int flags = (int)(e->flags & ~(uint32_t)(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC));
        int fd = open_file(e->file, flags, 0);
        (void)f;
        if (fd != e->fd) {
            check(sys3(__NR_dup3, fd, e->fd, (e->flags & O_CLOEXEC) ? O_CLOEXEC : 0),
                  "dup", "file descriptor");
            sys1(__NR_close, fd);
        } else if (!(e->flags & O_CLOEXEC)) {
            sys3(__NR_fcntl, fd, F_SETFD, 0);
        }
        if (e->fd < 3)
            keep[e->fd] = 1;
        if (e->pos > 0 && !(e->flags & O_PATH))
            check(sys3(__NR_lseek, e->fd, e->pos, SEEK_SET), "seek", str_at(f->path));
    }
    for (int i = 0; i < 3; i++)
        if (!keep[i])
            sys1(__NR_close, i);
}

static void restore_process_state(void)
{
    check(sys1(__NR_chdir, str_at(proc->cwd)), "chdir", str_at(proc->cwd));
    sys1(__NR_umask, proc->umask);
    sys1(__NR_personality, proc->personality);
    sys2(__NR_prctl, PR_SET_NAME, proc->comm);
    for (int sig = 1; sig <= IMG_SIGNALS; sig++) {
        if (sig == 9 || sig == 19)              /* SIGKILL, SIGSTOP */
            continue;
        const struct img_sigaction *a = &sigactions[sig - 1];
        struct ksigaction k = {a->handler, a->flags, a->restorer, a->mask};
        check(sys4(__NR_rt_sigaction, sig, &k, 0, 8), "sigaction", 0);
    }
    for (int w = 0; w < 3; w++) {
        const struct img_itimer *t = &proc->itimer[w];
        if (t->value_sec || t->value_usec) {
            struct kitimerval v = {t->interval_sec, t->interval_usec, t->value_sec, t->value_usec};
            check(sys3(__NR_setitimer, w, &v, 0), "setitimer", 0);
        }
    }
    int exe = open_file(proc->exe_file, O_RDONLY, 0);
    struct prctl_mm_map mm = {
        proc->start_code, proc->end_code, proc->start_data, proc->end_data,
        proc->start_brk, proc->brk, proc->start_stack,
        proc->arg_start, proc->arg_end, proc->env_start, proc->env_end,
        (uint64_t *)auxv, (uint32_t)(auxv_len * 8), (uint32_t)exe,
    };
    check(sys5(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, &mm, sizeof mm, 0), "prctl", "PR_SET_MM_MAP");
    sys1(__NR_close, exe);
    sys2(__NR_prctl, PR_SET_TIMERSLACK, proc->timerslack_ns);
    sys2(__NR_prctl, PR_SET_CHILD_SUBREAPER, proc->child_subreaper);
    if (proc->thp_disable)
        sys2(__NR_prctl, PR_SET_THP_DISABLE, 1);
}

/* Credentials last but one: after setresuid the restorer may lose its capabilities. */
static void restore_credentials(void)
{
    check(sys2(__NR_setgroups, group_count, groups), "setgroups", 0);
    check(sys3(__NR_setresgid, proc->gid[0], proc->gid[1], proc->gid[2]), "setresgid", 0);
    check(sys3(__NR_setresuid, proc->uid[0], proc->uid[1], proc->uid[2]), "setresuid", 0);
    sys1(__NR_setfsgid, proc->gid[3]);
    sys1(__NR_setfsuid, proc->uid[3]);
    /* setresuid resets these two, so they come after it. */
    sys2(__NR_prctl, PR_SET_DUMPABLE, proc->dumpable);
    sys2(__NR_prctl, PR_SET_PDEATHSIG, proc->pdeath_signal);
    if (proc->no_new_privs)
        sys5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void restore_rlimits(void)
{
    for (int r = 0; r < IMG_RLIMITS; r++)
        check(sys4(__NR_prlimit64, 0, r, &rlimits[r], 0), "setrlimit", 0);
}

/* Per-thread kernel state that rt_sigreturn does not carry. */
static void restore_thread_state(const struct img_thread *t)
{
    if (t->robust_list)
        check(sys2(__NR_set_robust_list, t->robust_list, t->robust_list_len), "set_robust_list", 0);
    if (t->clear_child_tid)
        sys1(__NR_set_tid_address, t->clear_child_tid);
    if (t->rseq_len)
        check(sys4(__NR_rseq, t->rseq_addr, t->rseq_len, 0, t->rseq_sig), "rseq", 0);
    check(sys2(__NR_arch_prctl, ARCH_SET_FS, t->regs[R_FS_BASE]), "arch_prctl", "fs");
    if (t->regs[R_GS_BASE])
        check(sys2(__NR_arch_prctl, ARCH_SET_GS, t->regs[R_GS_BASE]), "arch_prctl", "gs");
    struct kstack ss = {t->altstack_sp, (int32_t)(t->altstack_flags & ~SS_ONSTACK), 0, t->altstack_size};
    if (!(t->altstack_flags & SS_DISABLE))
        check(sys2(__NR_sigaltstack, &ss, 0), "sigaltstack", 0);
}

/* ---------- restore: the last step ---------- */

/*
 * Builds the rt_sigreturn frame below the thread's stack pointer (past the red zone), where a
 * signal frame would go: the area is dead stack, so writing it changes nothing the program sees.
 */
static struct rt_sigframe64 *build_frame(const struct img_thread *t)
{
    const uint64_t *r = t->regs;
    uint64_t fp = (r[R_RSP] - 128 - t->xstate_size - 64) & ~63ul;
    struct rt_sigframe64 *f = (struct rt_sigframe64 *)(((fp - sizeof *f) & ~15ul) - 8);
    memcpy((void *)fp, (const char *)(t + 1), t->xstate_size);
    /*
     * sigreturn restores the extended state (AVX and beyond) only if the software-reserved bytes
     * describe it and a second magic follows the area; ptrace leaves those bytes unset. The
     * features are this CPU's XCR0, which the kernel intersects with what it supports.
     */
    struct fpx_sw_bytes *sw = (struct fpx_sw_bytes *)(fp + FPX_SW_OFFSET);
    uint32_t xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    memset(sw, 0, sizeof *sw);
    sw->magic1 = FP_XSTATE_MAGIC1;
    sw->xstate_size = t->xstate_size;
    sw->extended_size = t->xstate_size + 4;
    sw->xfeatures = xcr0_lo | (uint64_t)xcr0_hi << 32;
    *(uint32_t *)(fp + t->xstate_size) = FP_XSTATE_MAGIC2;
    memset(f, 0, sizeof *f);
    f->uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f->uc.uc_stack.sp = t->altstack_sp;
    f->uc.uc_stack.flags = (int32_t)(t->altstack_flags & ~SS_ONSTACK);
    f->uc.uc_stack.size = t->altstack_size;
    struct sigcontext64 *c = &f->uc.uc_mcontext;
    c->r8 = r[R_R8];   c->r9 = r[R_R9];   c->r10 = r[R_R10]; c->r11 = r[R_R11];
    c->r12 = r[R_R12]; c->r13 = r[R_R13]; c->r14 = r[R_R14]; c->r15 = r[R_R15];
    c->rdi = r[R_RDI]; c->rsi = r[R_RSI]; c->rbp = r[R_RBP]; c->rbx = r[R_RBX];
    c->rdx = r[R_RDX]; c->rax = r[R_RAX]; c->rcx = r[R_RCX]; c->rsp = r[R_RSP];
    c->rip = r[R_RIP]; c->eflags = r[R_EFLAGS];
    c->cs = (uint16_t)r[R_CS];
    c->ss = (uint16_t)r[R_SS];
    c->fpstate = fp;
    f->uc.uc_sigmask = t->sigmask;
    return f;
}

/*
 * The final stubs run outside the restorer's range, because they unmap it. Registers in:
 * rdi/rsi = restorer range (munmap), r12 = staged clean page, r13 = gadget page, r14 = &frame->uc.
 * gadget_stub: munmap, then mremap the staged page over its fake twin with the `syscall` placed
 * right before the gadget, so the mremap returns into the genuine "mov $15,%rax; syscall"
 * (rt_sigreturn). fallback_stub: munmap, then rt_sigreturn from a page that stays behind.
 */
extern const char gadget_stub[], gadget_stub_jmp[], gadget_stub_end[];
extern const char fallback_stub[], fallback_stub_end[];
__asm__(".text\n"
        "gadget_stub:\n"
        "  mov $11, %eax\n"            /* munmap(rdi, rsi) */
        "  syscall\n"
        "  mov %r12, %rdi\n"           /* mremap(staged, 4096, 4096, MAYMOVE|FIXED, gadget page) */
        "  mov $4096, %esi\n"
        "  mov $4096, %edx\n"
        "  mov $3, %r10d\n"
        "  mov %r13, %r8\n"
        "  mov %r14, %rsp\n"           /* rt_sigreturn finds its frame 8 bytes below rsp */
        "  mov $25, %eax\n"
        "gadget_stub_jmp:\n"
        "  .byte 0xe9, 0, 0, 0, 0\n"   /* jmp rel32 to the `syscall` before the gadget, patched */
        "gadget_stub_end:\n"
        "fallback_stub:\n"
        "  mov $11, %eax\n"
        "  syscall\n"
        "  mov %r14, %rsp\n"
        "  mov $15, %eax\n"            /* rt_sigreturn */
        "  syscall\n"
        "fallback_stub_end:\n");

static __attribute__((noreturn)) void jump(uint64_t stub, struct rt_sigframe64 *f)
{
    register uint64_t r12 __asm__("r12") = staged_page;
    register uint64_t r13 __asm__("r13") = gadget_page;
    register uint64_t r14 __asm__("r14") = (uint64_t)&f->uc;
    __asm__ volatile("jmp *%0" ::"r"(stub), "D"(RESTORER_BASE), "S"(RESTORER_SIZE), "r"(r12),
                     "r"(r13), "r"(r14)
                     : "memory");
    __builtin_unreachable();
}

static __attribute__((noreturn)) void final_jump(const struct img_thread *t)
{
    struct rt_sigframe64 *f = build_frame(t);
    if (gadget_page) {
        uint64_t g = proc->sigreturn_gadget;
        size_t len = (size_t)(gadget_stub_end - gadget_stub);
        uint64_t sc = g - 2, off = sc - gadget_page;
        uint64_t at = off >= len ? gadget_page : sc + 2;  /* keep the stub clear of the syscall */
        if (at + len > gadget_page + PAGE)
            die("restore", "has no room for the final stub", 0);
        check(sys6(__NR_mmap, gadget_page, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), "map", "final stub");
        memcpy((void *)at, gadget_stub, len);
        int32_t rel = (int32_t)(sc - (at + (uint64_t)(gadget_stub_jmp - gadget_stub) + 5));
        memcpy((void *)(at + (uint64_t)(gadget_stub_jmp - gadget_stub) + 1), &rel, 4);
        ((uint8_t *)sc)[0] = 0x0f;           /* syscall */
        ((uint8_t *)sc)[1] = 0x05;
        jump(at, f);
    }
    uint64_t page = RESTORER_BASE - PAGE;
    while (!address_free(page))
        page -= PAGE;
    check(sys6(__NR_mmap, page, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), "map", "final stub");
    memcpy((void *)page, fallback_stub, (size_t)(fallback_stub_end - fallback_stub));
    jump(page, f);
}

static long host_pid(const char *link)
{
    char buf[24];
    long n = sys4(__NR_readlinkat, hostproc_fd, link, buf, sizeof buf - 1);
    long v = 0;
    for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
        v = v * 10 + (buf[i] - '0');
    return v;
}

/*
 * Reports "ok PID INIT_PID TL TI T0 T1 T2 T3": the host's PIDs of this process and of its init
 * (the 4th field of the host's /proc/self/stat), then the timestamps.
 */
static void report_ok(void)
{
    long pid = host_pid("self"), init_pid = 0;
    char buf[256];
    long fd = sys4(__NR_openat, hostproc_fd, "self/stat", O_RDONLY | O_CLOEXEC, 0);
    long n = IS_ERR(fd) ? 0 : sys3(__NR_read, fd, buf, sizeof buf - 1);
    if (!IS_ERR(fd))
        sys1(__NR_close, fd);
    long i = 0;
    while (i < n && buf[i] != ')')
        i++;
    for (i += 4; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
        init_pid = init_pid * 10 + (buf[i] - '0');
    const uint64_t stamps[] = {t_launch, t_init, t_start, t_cleared, t_mapped, t_state};
    put("ok ");
    put_num(pid);
    put(" ");
    put_num(init_pid);
    for (unsigned k = 0; k < sizeof stamps / sizeof stamps[0]; k++) {
        put(" ");
        put_num((int64_t)stamps[k]);
    }
    flush_status();
}

static __attribute__((noreturn)) void restore(void)
{
    t_start = now_ns();
    const struct img_thread *t = threads[0];
    clear_address_space();
    place_vdso();
    anonymize_self();
    t_cleared = now_ns();
    map_memory();
    no_read_around();
    populate_working_set();
    t_mapped = now_ns();
    restore_rlimits();
    restore_fds();
    restore_process_state();
    restore_thread_state(t);
    restore_credentials();
    t_state = now_ns();
    report_ok();
    sys1(__NR_close, status_fd);
    sys1(__NR_close, image_fd);
    sys1(__NR_close, hostproc_fd);
    final_jump(t);
}

/* ---------- init and launcher ---------- */

static int lifeline_fd = -1;        /* launcher: ends the instance when this pipe's writer is gone */
static int command_fd = -1;         /* zygote mode: the init waits here for "restore IMAGE" */
static const char *exec_dir;        /* exec mode: working directory, program and its arguments */
static char **exec_argv, **exec_envp;

static long clone3(struct clone_args *a)
{
    return sys2(__NR_clone3, a, sizeof *a);
}

/* Exec mode: the child of the init becomes the program (a fresh boot instead of a restore). */
static __attribute__((noreturn)) void exec_child(void)
{
    t_start = t_cleared = t_mapped = t_state = now_ns();
    report_ok();
    sys3(__NR_fcntl, status_fd, F_SETFD, FD_CLOEXEC);  /* a successful exec closes the report */
    sys1(__NR_close, hostproc_fd);
    check(sys1(__NR_chdir, exec_dir), "chdir", exec_dir);
    long r = sys3(__NR_execve, exec_argv[0], exec_argv, exec_envp);
    die("exec", exec_argv[0], r);
}

static int parse_prefetch(const char *s)
{
    if (str_eq(s, "none"))
        return PREFETCH_NONE;
    if (str_eq(s, "read"))
        return PREFETCH_READ;
    if (str_eq(s, "full"))
        return PREFETCH_FULL;
    if (str_eq(s, "record"))
        return PREFETCH_RECORD;
    die("usage", "--prefetch takes none, read, full or record", 0);
}

/*
 * Zygote mode: the namespaces, the cgroup and the stdio are ready before there is anything to
 * restore. The init reports "ready INIT_PID", waits for one line "restore IMAGE" on the command
 * descriptor, and only then reads the image. Timestamps restart at the command, so the report
 * measures the restore, not the wait.
 */
static void await_command(void)
{
    /* What does not depend on the image is done before the wait: the restored process inherits it. */
    read_own_maps();
    clear_address_space();
    anonymize_self();
    put("ready ");
    put_num(host_pid("self"));
    flush_status();
    static char line[4096];
    size_t n = 0;
    while (n == 0 || line[n - 1] != '\n') {    /* one write from Java: usually one read */
        long r = sys3(__NR_read, command_fd, line + n, sizeof line - 1 - n);
        if (r <= 0 || n + (size_t)r >= sizeof line - 1)
            sys1(__NR_exit_group, 0);           /* the engine went away: nothing to restore */
        n += (size_t)r;
    }
    line[n - 1] = 0;
    sys1(__NR_close, command_fd);
    t_launch = t_init = now_ns();
    /* "restore PREFETCH IMAGE" */
    if (!has_prefix(line, "restore "))
        die("zygote", "got an unknown command", 0);
    char *mode = line + 8, *path = mode;
    while (*path && *path != ' ')
        path++;
    if (!*path)
        die("zygote", "got a command without an image", 0);
    *path++ = 0;
    prefetch_mode = parse_prefetch(mode);
    load_image(path);
}

static __attribute__((noreturn)) void init(void)
{
    t_init = now_ns();
    if (lifeline_fd >= 0)
        sys1(__NR_close, lifeline_fd);
    sys2(__NR_prctl, PR_SET_NAME, "spice-init");
    check(sys5(__NR_mount, 0, "/", 0, MS_REC | MS_PRIVATE, 0), "mount", "private /");
    check(sys5(__NR_mount, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0),
          "mount", "/proc");
    if (command_fd >= 0)
        await_command();
    int64_t pid = proc ? proc->pid : 0;
    if (pid == 1) {
        read_working_set();
        restore();                              /* the process was itself an init */
    }
    struct clone_args a = {0};
    a.exit_signal = SIGCHLD;
    if (pid) {
        a.set_tid = (uint64_t)&pid;             /* the restored process gets its old PID */
        a.set_tid_size = 1;
    }
    long child = check(clone3(&a), "clone3", "process");
    if (child == 0) {
        if (proc)
            restore();
        exec_child();
    }
    if (proc)
        read_working_set();                     /* while the process maps its memory */
    sys1(__NR_close, status_fd);
    if (image_fd >= 0)
        sys1(__NR_close, image_fd);
    close_files();
    sys1(__NR_close, hostproc_fd);
    for (;;) {                                  /* reap everything; leave with the process */
        int status = 0;
        long w = sys4(__NR_wait4, -1, &status, __WALL, 0);
        if (w == child || IS_ERR(w))
            sys1(__NR_exit_group, IS_ERR(w) ? 125
                                  : WIFEXITED(status) ? WEXITSTATUS(status)
                                                      : 128 + WTERMSIG(status));
    }
}

static int parse_int(const char *s)
{
    int v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return v;
}

/* Moves the launcher, and so everything it starts, into a cgroup (v1 or v2): DIR/cgroup.procs. */
static void join_cgroup(const char *dir)
{
    static char path[4096];
    size_t n = 0;
    for (const char *p = dir; *p && n < sizeof path - 16; p++)
        path[n++] = *p;
    for (const char *p = "/cgroup.procs"; *p; p++)
        path[n++] = *p;
    path[n] = 0;
    long fd = check(sys4(__NR_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0), "open", path);
    check(sys3(__NR_write, fd, "0\n", 2), "join cgroup", dir);
    sys1(__NR_close, fd);
}

/*
 * Waits for the init and exits with its status. With a lifeline, the end of the caller (the
 * write end of the pipe closes) kills the init, and with it the whole namespace.
 */
static __attribute__((noreturn)) void wait_for_init(long init_pid)
{
    if (lifeline_fd >= 0) {
        struct { int fd; short events, revents; } fds[2] = {
            {(int)check(sys2(__NR_pidfd_open, init_pid, 0), "pidfd_open", "init"), 1, 0},
            {lifeline_fd, 1, 0},
        };
        while (!fds[0].revents) {
            long r = sys3(__NR_poll, fds, 2, -1);
            if (!IS_ERR(r) && fds[1].revents) {
                sys2(__NR_kill, init_pid, 9);
                break;
            }
        }
    }
    int status = 0;
    long w = sys4(__NR_wait4, init_pid, &status, __WALL, 0);
    sys1(__NR_exit_group, IS_ERR(w) ? 125 : WIFEXITED(status) ? WEXITSTATUS(status)
                                                              : 128 + WTERMSIG(status));
    __builtin_unreachable();
}

static __attribute__((noreturn)) void usage(void)
{
    static const char text[] =
        "usage: spice-restorer --status=FD [--detach] [--cgroup=DIR] [--lifeline=FD] [--prefetch=MODE] restore IMAGE\n"
        "       spice-restorer --status=FD [--cgroup=DIR] [--lifeline=FD] exec DIR PROGRAM [ARG...]\n"
        "       spice-restorer --status=FD [--cgroup=DIR] [--lifeline=FD] --command=FD zygote\n";
    sys3(__NR_write, 2, text, sizeof text - 1);
    sys1(__NR_exit_group, 2);
    __builtin_unreachable();
}

__attribute__((noreturn, used)) void restorer_main(long *sp)
{
    t_launch = now_ns();
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    exec_envp = argv + argc + 1;
    int detach = 0, i = 1;
    const char *cgroup = 0;
    for (; i < argc && has_prefix(argv[i], "--"); i++) {
        if (has_prefix(argv[i], "--status="))
            status_fd = parse_int(argv[i] + 9);
        else if (has_prefix(argv[i], "--lifeline="))
            lifeline_fd = parse_int(argv[i] + 11);
        else if (has_prefix(argv[i], "--cgroup="))
            cgroup = argv[i] + 9;
        else if (has_prefix(argv[i], "--command="))
            command_fd = parse_int(argv[i] + 10);
        else if (has_prefix(argv[i], "--prefetch="))
            prefetch_mode = parse_prefetch(argv[i] + 11);
        else if (str_eq(argv[i], "--detach"))
            detach = 1;
        else
            usage();
    }
    int restoring = i + 1 < argc && str_eq(argv[i], "restore");
    int executing = i + 2 < argc && str_eq(argv[i], "exec");
    int zygote = i < argc && str_eq(argv[i], "zygote") && command_fd >= 0;
    if (status_fd < 0 || (!restoring && !executing && !zygote))
        usage();
    sys2(__NR_prctl, PR_SET_NAME, "spice-launch");
    hostproc_fd = (int)check(sys4(__NR_openat, AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC, 0),
                             "open", "/proc");
    if (restoring) {
        read_own_maps();
        load_image(argv[i + 1]);
    } else if (executing) {
        exec_dir = argv[i + 1];
        exec_argv = argv + i + 2;
    }
    if (cgroup)
        join_cgroup(cgroup);
    struct clone_args a = {0};
    a.flags = CLONE_NEWPID | CLONE_NEWNS;
    a.exit_signal = SIGCHLD;
    long child = check(clone3(&a), "clone3", "init process");
    if (child == 0)
        init();
    sys1(__NR_close, status_fd);
    if (image_fd >= 0)                          /* the init has its own copies */
        sys1(__NR_close, image_fd);
    close_files();
    if (command_fd >= 0)
        sys1(__NR_close, command_fd);
    if (detach)
        sys1(__NR_exit_group, 0);
    wait_for_init(child);
}

/* Entry: switch to our own stack inside the fixed range, then run restorer_main(sp). */
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "  mov %rsp, %rdi\n"
        "  mov boot_stack_top(%rip), %rsp\n"
        "  call restorer_main\n"
        "  hlt\n");
