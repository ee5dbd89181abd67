/*
 * The kernel objects behind descriptors of kinds 3-9 (eventfd, epoll, timerfd, signalfd, pipe,
 * Unix socket pair, inotify): the image sections that describe them, their checks, and the
 * dispatch from the descriptor table (files.c) to the unit of each class. Each unit creates its
 * object; this one moves it to exactly its number. docs/image-format.md, "fd_object".
 */
#include "restorer.h"

const struct img_fd_object *fd_objects;
const struct img_epoll_target *epoll_targets;
const struct img_fd_message *fd_messages;
const struct img_inotify_watch *inotify_watches;
const uint8_t *fd_data;
uint64_t fd_object_count, epoll_target_count, fd_message_count, inotify_watch_count, fd_data_len;

static int high_floor;                     /* restore_fds' floor: temporaries live at or above it */
static uint8_t created[MAX_FD_OBJECTS];    /* a pair is created at its first end; the second skips */

/* image.c found one of sections 15-19 (in an image of version 3 or later). */
void note_fd_object_section(uint32_t type, const void *payload, uint64_t length)
{
    switch (type) {
    case IMG_SEC_FD_OBJECTS:
        fd_objects = payload;
        fd_object_count = length / sizeof *fd_objects;   /* a partial trailing entry is ignored, as in Java */
        break;
    case IMG_SEC_EPOLL_TARGETS:
        epoll_targets = payload;
        epoll_target_count = length / sizeof *epoll_targets;
        break;
    case IMG_SEC_FD_MESSAGES:
        fd_messages = payload;
        fd_message_count = length / sizeof *fd_messages;
        break;
    case IMG_SEC_FD_DATA:
        fd_data = payload;
        fd_data_len = length;
        break;
    case IMG_SEC_INOTIFY_WATCHES:
        inotify_watches = payload;
        inotify_watch_count = length / sizeof *inotify_watches;
        break;
    }
}

static int is_pair(uint32_t kind) { return kind == FD_PIPE || kind == FD_UNIX_PAIR; }

static int has_fd(int32_t n)
{
    for (uint64_t i = 0; i < fd_count; i++)
        if (fds[i].fd == n)
            return 1;
    return 0;
}

/* The descriptor number that names end `end` of object `object` (checked to exist). */
int object_fd(uint32_t object, uint32_t end)
{
    for (uint64_t i = 0; i < fd_count; i++)
        if (fds[i].kind >= FD_FIRST_OBJECT && fds[i].file == object && (uint64_t)fds[i].pos == end)
            return fds[i].fd;
    die("image", "has a kernel object without its descriptor", 0);
}

/* The same rules as the Java reader (KernelObjectsCheck): everything the units rely on. */
void check_fd_objects(void)
{
    static uint8_t named[MAX_FD_OBJECTS];  /* bit e: end e is named by a descriptor */
    if (fd_object_count > MAX_FD_OBJECTS)
        die("image", "has too many kernel objects behind descriptors", 0);
    memset(named, 0, sizeof named);
    for (uint64_t i = 0; i < fd_count; i++) {
        const struct img_fd *e = &fds[i];
        if (e->kind < FD_FIRST_OBJECT)
            continue;
        /* The object exists, is of the descriptor's kind, and this end of it is named once. */
        if (e->kind > FD_INOTIFY || e->file >= fd_object_count || fd_objects[e->file].kind != e->kind ||
            e->pos < 0 || e->pos > (is_pair(e->kind) ? 1 : 0) || (named[e->file] & (1u << e->pos)))
            die("image", "has a descriptor naming a missing kernel object or a taken end", 0);
        named[e->file] |= (uint8_t)(1u << e->pos);
        /* A pipe's end 0 reads and its end 1 writes: the access mode says which. */
        if (e->kind == FD_PIPE && (e->flags & O_ACCMODE) != (e->pos == 0 ? O_RDONLY : O_WRONLY))
            die("image", "has a pipe descriptor whose access mode does not match its end", 0);
    }
    uint64_t targets = 0, messages = 0, watches = 0;
    for (uint64_t i = 0; i < fd_object_count; i++) {
        const struct img_fd_object *o = &fd_objects[i];
        if (named[i] != (is_pair(o->kind) ? 3 : 1) || o->reserved)
            die("image", "has a kernel object without its descriptors", 0);
        /* Each table holds the objects' entries in object order, consecutively. */
        uint64_t *next = o->kind == FD_EPOLL ? &targets : is_pair(o->kind) ? &messages :
                         o->kind == FD_INOTIFY ? &watches : 0;
        uint64_t table = o->kind == FD_EPOLL ? epoll_target_count : is_pair(o->kind) ? fd_message_count :
                         inotify_watch_count;
        if (next ? (o->first != *next || o->count > table - *next) : (o->first || o->count))
            die("image", "has a kernel object whose entries are not the next ones of their table", 0);
        if (next)
            *next += o->count;
        int ok = 1;
        switch (o->kind) {
        case FD_EVENTFD:                       /* 2^64-1 cannot be a counter's value */
            ok = !(o->flags & ~OBJ_EVENTFD_SEMAPHORE) && !o->param && o->value != ~0ull && !o->interval && !o->ticks;
            break;
        case FD_SIGNALFD:
            ok = !o->flags && !o->param && !o->interval && !o->ticks;
            break;
        case FD_TIMERFD:                       /* clocks timerfd_create accepts; times fit a timespec */
            ok = !(o->flags & ~(OBJ_TIMER_ABSTIME | OBJ_TIMER_CANCEL_ON_SET)) &&
                 (o->param == 0 || o->param == 1 || o->param == 7 || o->param == 8 || o->param == 9) &&
                 (int64_t)o->value >= 0 && (int64_t)o->interval >= 0 && (int64_t)o->ticks >= 0;
            break;
        case FD_EPOLL:
            ok = !o->flags && !o->param && !o->value && !o->interval && !o->ticks;
            for (uint32_t t = o->first; ok && t < o->first + o->count; t++) {
                int self = object_fd((uint32_t)i, 0);
                ok = epoll_targets[t].fd != self && has_fd(epoll_targets[t].fd);
                for (uint32_t u = o->first; ok && u < t; u++)   /* one registration per descriptor */
                    ok = epoll_targets[u].fd != epoll_targets[t].fd;
            }
            break;
        case FD_PIPE:                          /* a power of two within what F_SETPIPE_SZ takes */
            ok = !o->flags && o->param >= OBJ_PIPE_MIN && o->param <= OBJ_PIPE_MAX &&
                 !(o->param & (o->param - 1)) && o->count <= 1 && !o->value && !o->interval && !o->ticks;
            break;
        case FD_UNIX_PAIR:
            ok = !(o->flags & ~OBJ_UNIX_SHUTDOWN_MASK) && (o->param == 1 || o->param == 2 || o->param == 5) &&
                 !o->value && !o->interval && !o->ticks;
            break;
        case FD_INOTIFY:
            ok = !o->flags && !o->param && !o->value && !o->interval && !o->ticks;
            for (uint32_t w = o->first; ok && w < o->first + o->count; w++)
                ok = inotify_watches[w].wd > (w > o->first ? inotify_watches[w - 1].wd : 0) &&
                     inotify_watches[w].file < file_count && !inotify_watches[w].reserved;
            break;
        default:
            ok = 0;
        }
        /* Buffered bytes: inside FD_DATA, for an end the object has, a pipe's within its capacity. */
        for (uint32_t m = o->first; ok && is_pair(o->kind) && m < o->first + o->count; m++) {
            const struct img_fd_message *msg = &fd_messages[m];
            ok = msg->end <= (o->kind == FD_PIPE ? 0u : 1u) && !msg->reserved && msg->length > 0 &&
                 msg->offset <= fd_data_len && msg->length <= fd_data_len - msg->offset &&
                 (o->kind != FD_PIPE || msg->length <= o->param);
            for (uint32_t n = o->first; ok && o->kind == FD_UNIX_PAIR && o->param == SOCK_STREAM && n < m; n++)
                ok = fd_messages[n].end != msg->end;   /* a stream end has one buffer */
        }
        if (!ok)
            die("image", "has a kernel object with a field outside what its kind allows", 0);
    }
    if (targets != epoll_target_count || messages != fd_message_count || watches != inotify_watch_count)
        die("image", "has entries that belong to no kernel object", 0);
}

/* A new descriptor from a unit: checked, then moved above every number still to be restored. */
int new_fd_high(long fd, const char *what)
{
    check(fd, "create", what);
    long high = check(sys3(__NR_fcntl, fd, F_DUPFD_CLOEXEC, high_floor), "move", what);
    sys1(__NR_close, fd);
    return (int)high;
}

/*
 * Moves a temporary to the descriptor's number with its close-on-exec flag (dup3), then sets its
 * status flags: O_NONBLOCK is all that these objects honour, and it belongs to the open file, so
 * it is set after the temporary is gone.
 */
void place_fd(int tmp, const struct img_fd *e)
{
    check(sys3(__NR_dup3, tmp, e->fd, (e->flags & O_CLOEXEC) ? O_CLOEXEC : 0), "dup", "kernel object");
    sys1(__NR_close, tmp);
    check(sys3(__NR_fcntl, e->fd, F_SETFL, e->flags & O_NONBLOCK), "set flags of", "kernel object");
}

static const struct img_fd *fd_entry(int32_t n)
{
    for (uint64_t i = 0; i < fd_count; i++)
        if (fds[i].fd == n)
            return &fds[i];
    die("image", "has a kernel object without its descriptor", 0);
}

/*
 * Creates the object of descriptor entry `e` and puts it at its number; a pair's two ends are
 * both placed when the first is met. Every temporary sits at or above `floor`, which no restored
 * descriptor reaches, so placing one never closes another.
 */
void restore_fd_object(const struct img_fd *e, int floor)
{
    high_floor = floor;
    const struct img_fd_object *o = &fd_objects[e->file];
    if (created[e->file])
        return;                                /* the second end of a pair, already placed */
    created[e->file] = 1;
    if (is_pair(o->kind)) {
        int ends[2];
        if (o->kind == FD_PIPE)
            create_pipe(o, ends);
        else
            create_unix_pair(o, ends);
        for (uint32_t end = 0; end < 2; end++)
            place_fd(ends[end], fd_entry(object_fd(e->file, end)));
        return;
    }
    int tmp;
    switch (o->kind) {
    case FD_EVENTFD: tmp = create_eventfd(o); break;
    case FD_SIGNALFD: tmp = create_signalfd(o); break;
    case FD_TIMERFD: tmp = create_timerfd(o); break;
    case FD_EPOLL: tmp = create_epoll(o); break;
    default: tmp = create_inotify(o); break;   /* check_fd_objects admits no other kind */
    }
    place_fd(tmp, e);
}

/* Links between objects, once every descriptor is at its number: epoll registrations. */
void restore_fd_links(void)
{
    for (uint64_t i = 0; i < fd_object_count; i++)
        if (fd_objects[i].kind == FD_EPOLL)
            add_epoll_targets(&fd_objects[i], object_fd((uint32_t)i, 0));
}
