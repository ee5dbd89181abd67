/* The working set: its reads queued ahead, what is cached, populating it, and no read-around for the rest. */
#include "restorer.h"

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
 * of the files opened so far. Queues their reads, or with `count_only` counts the pages missing
 * from the page cache, stopping once more than `enough` are (kernels without cachestat() count
 * every page as missing).
 */
static uint64_t walk_working_set(int count_only, uint64_t enough)
{
    struct reads image = {-1, 0, 0, count_only, 0}, file = {-1, 0, 0, count_only, 0};
    for (uint64_t i = 0; i < vma_count; i++)   /* first what map_memory copies */
        if ((vmas[i].kind == VMA_ANON && (vmas[i].flags & VMA_F_STACK)) || vmas[i].kind == VMA_SHARED_ANON)
            for (uint32_t r = vmas[i].first_run; r < vmas[i].first_run + vmas[i].run_count; r++)
                reads_add(&image, image_fd, runs[r].data_offset, runs[r].data_offset + runs[r].pages * PAGE);
    for (uint64_t i = 0; i < ws_count && !(count_only && image.uncached > enough); i++) {
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
void read_working_set(void)
{
    if (prefetch_mode == PREFETCH_NONE || !ws_count || working_set_cached == WS_CACHED)
        return;
    sys4(__NR_fadvise64, image_fd, 0, 0, POSIX_FADV_RANDOM);  /* other reads: no read-around */
    walk_working_set(0, 0);
}

/*
 * A hot restore: the image's part of the working set is in the page cache (cachestat() over the
 * ranges that would be read, a few dozen calls thanks to the ordered layout; checked before the
 * files are opened, so only the image counts). Then no read is queued and no mapping gets
 * MADV_RANDOM (on lr_serving's 900 mappings that alone is 1 ms); the working set is still
 * populated. A few pages missing (WS_MOSTLY_CACHED) do not make it cold: machines that reclaim
 * idle memory proactively evict single pages of a hot image at any time (this machine kind runs
 * DAMON "pageout" on physical memory: in 8 restores of lr_serving 1 s to 20 s apart, 4 found one
 * range of the working set short of a page or two, and the cold path made their memory phase
 * 10.9-12.8 ms against 8.6-9.7). Then the reads are still queued (the init does that on the other
 * CPU; only the missing pages cost a read), but read-around stays on: whatever the process faults
 * on outside the working set is as cached as the rest. (Measured and rejected: populating only
 * the written pages when hot and leaving the read ones to fault-around. Hot restores got shorter,
 * hello 2.9 -> 1.6 ms, but the first invocations took 120-2,900 faults and were 1.3x-2.6x slower
 * than warm ones.) The mapped files are taken to be as hot as the image.
 */
#define MOSTLY_CACHED_MIN 16                    /* pages that may be missing, at least... */
#define MOSTLY_CACHED_SHARE 32                  /* ...or 1/32 of the working set's stored pages */

void check_working_set_cached(void)
{
    if (prefetch_mode == PREFETCH_RECORD || !ws_count)
        return;
    uint64_t stored = ws_data ? ws_data->bytes / PAGE : 0;
    uint64_t tolerated = stored / MOSTLY_CACHED_SHARE > MOSTLY_CACHED_MIN ? stored / MOSTLY_CACHED_SHARE
                                                                          : MOSTLY_CACHED_MIN;
    uint64_t missing = walk_working_set(1, tolerated);
    working_set_cached = missing == 0 ? WS_CACHED : missing <= tolerated ? WS_MOSTLY_CACHED : WS_COLD;
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

void populate_working_set(void)
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
void no_read_around(void)
{
    if (prefetch_mode == PREFETCH_NONE || !ws_count || working_set_cached != WS_COLD)
        return;
    for (uint64_t i = 0; i < vma_count; i++)
        if ((vmas[i].kind == VMA_FILE && !(vmas[i].flags & VMA_F_SHARED)) || vmas[i].run_count)
            sys3(__NR_madvise, vmas[i].start, vmas[i].end - vmas[i].start, MADV_RANDOM);
}
