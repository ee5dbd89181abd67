/*
 * inotify: watches on files and directories (docs/image-format.md, INOTIFY, "inotify_watch").
 * The process knows its watches by wd, and the kernel hands out wds in increasing order (cyclic),
 * so the watches are added in wd order; where the process had removed watches, a wd comes out
 * smaller than recorded, and that watch is removed and added again until the wd matches.
 */
#include "restorer.h"

int create_inotify(const struct img_fd_object *o)
{
    int fd = new_fd_high(sys1(__NR_inotify_init1, 0), "inotify");
    int removed = 0;
    for (uint32_t i = o->first; i < o->first + o->count; i++) {
        const struct img_inotify_watch *w = &inotify_watches[i];
        const char *path = str_at(files[w->file].path);
        /* The watched file must be the one captured: open_file checks its identity. */
        sys1(__NR_close, open_file(w->file, O_PATH, 0));
        for (int steps = 0;; steps++) {
            long wd = check(sys3(__NR_inotify_add_watch, fd, path, w->mask), "watch", path);
            if (wd == w->wd)
                break;
            /* A larger wd: the kernel's counter is past ours and would have to wrap around. */
            if (wd > w->wd || steps >= INOTIFY_MAX_WD_STEPS)
                die(path, "cannot get its inotify watch descriptor back", wd);
            sys2(__NR_inotify_rm_watch, fd, wd);
            removed = 1;
        }
    }
    if (removed) {
        /* Each removal queued an IN_IGNORED event the process never caused: read them away
         * (without blocking; place_fd sets the descriptor's own flags afterwards). */
        static char events[4096];
        sys3(__NR_fcntl, fd, F_SETFL, O_NONBLOCK);
        while (sys3(__NR_read, fd, events, sizeof events) > 0)
            ;
    }
    return fd;
}
