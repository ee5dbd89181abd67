/* The restored address space: clearing ours, the vDSO, mappings from the image and the files, copied runs. */
#include "restorer.h"

/* ---------- restore: address space ---------- */

/* Everything the launcher had outside our range, except the vDSO pair, goes away. */
void clear_address_space(void)
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
void place_vdso(void)
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
void anonymize_self(void)
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

void plan_mapping_budget(void)
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
const struct img_vma *vma_at(uint64_t address)
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
uint64_t gadget_page, staged_page;

int address_free(uint64_t a)
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
void map_memory(void)
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
