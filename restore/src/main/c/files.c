/* Files: the mapped files opened once by the launcher, and the restored process's descriptor table. */
#include "restorer.h"

/*
 * Descriptors of mapped files handed over by the engine, which keeps them open ("pinned") for as
 * long as the snapshot is deployed: their inodes and dentries (and the parent directories) stay
 * in memory across drop_caches, and taking one costs no path lookup. Indexed like files[]; 0 for
 * none. open_file() checks each as it would check a file it opened itself.
 */
static int pinned_fds[MAX_FILES];
static uint32_t pinned_end;                 /* one past the highest index pinned */

void pin_file(uint64_t index, int fd)
{
    if (index >= MAX_FILES || fd <= 2 || pinned_fds[index])
        die("usage", "a pinned file has a bad index or descriptor, or came twice", 0);
    pinned_fds[index] = fd;
    if (index >= pinned_end)
        pinned_end = (uint32_t)index + 1;
}

/*
 * Opens a file of the image, checking it is still the file that was captured. With `shared`
 * the descriptor is kept for further mappings of the file (read-only, closed after map_memory);
 * a pinned descriptor is taken instead of a lookup by path.
 */
int open_file(uint32_t index, int flags, int shared)
{
    if (shared && file_fds[index] > 0)
        return file_fds[index];
    const struct img_file *f = &files[index];
    const char *path = str_at(f->path);
    int fd = shared ? pinned_fds[index] : 0;
    if (fd > 0)
        pinned_fds[index] = 0;              /* now file_fds[] owns it */
    else
        fd = (int)check(sys4(__NR_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0), "open", path);
    struct kstat st;
    check(sys2(__NR_fstat, fd, &st), "stat", path);
    if ((f->checks & FILE_CHECK_IDENTITY) &&
        (DEV_MAJOR(st.st_dev) != f->dev_major || DEV_MINOR(st.st_dev) != f->dev_minor ||
         st.st_ino != f->ino))
        die(path, "was replaced since the snapshot", 0);
    /* A pinned file keeps its identity when its path is replaced: its (only) name going shows as no links. */
    if (st.st_nlink == 0)
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
 * The init opens them (or takes the engine's pinned descriptors); the restored process
 * inherits the descriptors and closes them after mapping.
 */
void open_files(void)
{
    for (uint64_t i = 0; i < vma_count; i++)
        if (vmas[i].kind == VMA_FILE && !((vmas[i].flags & VMA_F_SHARED) && (vmas[i].prot & PROT_WRITE)))
            open_file(vmas[i].file, O_RDONLY, 1);
}

/* Closes the mapped files, and pinned descriptors no mapping took. */
void close_files(void)
{
    for (uint64_t i = 0; i < file_count; i++)
        if (file_fds[i] > 0) {
            sys1(__NR_close, file_fds[i]);
            file_fds[i] = 0;
        }
    for (uint32_t i = 0; i < pinned_end; i++)
        if (pinned_fds[i] > 0) {
            sys1(__NR_close, pinned_fds[i]);
            pinned_fds[i] = 0;
        }
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

void restore_fds(void)
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
        if (e->kind >= FD_FIRST_OBJECT) {      /* eventfd, epoll, pipes...: fdobjects.c */
            restore_fd_object(e, floor);
            if (e->fd < 3)
                keep[e->fd] = 1;
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
    restore_fd_links();                        /* epoll registrations: every target exists now */
}
