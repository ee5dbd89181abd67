/* eventfd: a 64-bit counter (docs/image-format.md, "fd_object", EVENTFD). */
#include "restorer.h"

int create_eventfd(const struct img_fd_object *o)
{
    /* eventfd2 takes an initial value of only 32 bits, so start at 0 and add the counter. */
    int fd = new_fd_high(sys2(__NR_eventfd2, 0, (o->flags & OBJ_EVENTFD_SEMAPHORE) ? EFD_SEMAPHORE : 0),
                         "eventfd");
    if (o->value) {
        /* One write adds the whole counter; it cannot block, the counter being 0 and the value
         * below 2^64-1 (checked). The descriptor is still blocking: O_NONBLOCK comes later. */
        uint64_t v = o->value;
        if (sys3(__NR_write, fd, &v, sizeof v) != (long)sizeof v)
            die("eventfd", "did not take its counter", 0);
    }
    return fd;
}
