/*
 * timerfd: a timer on one clock that counts expirations (docs/image-format.md, TIMERFD). The
 * image holds the time that remained until the next expiry when the process was captured; the
 * restored timer gets the same remaining time from now, as CRIU does, so that it fires as long
 * after the restore as it would have after the capture, then keeps its period.
 */
#include "restorer.h"

#define NSEC 1000000000ll

static struct timespec_k from_ns(uint64_t ns)
{
    struct timespec_k t = {(int64_t)(ns / NSEC), (int64_t)(ns % NSEC)};
    return t;
}

int create_timerfd(const struct img_fd_object *o)
{
    /* Flags at creation are only NONBLOCK and CLOEXEC, which place_fd sets per descriptor. */
    int fd = new_fd_high(sys2(__NR_timerfd_create, o->param, 0), "timerfd");
    if (o->value) {                            /* armed; value 0 would disarm, so nothing to set */
        struct itimerspec_k its = {from_ns(o->interval), from_ns(o->value)};
        if (o->flags & OBJ_TIMER_ABSTIME) {
            /* An absolute timer: its deadline is the clock's time now plus what remained. */
            struct timespec_k now;
            check(sys2(__NR_clock_gettime, o->param, &now), "read the clock of", "timerfd");
            its.value.sec += now.sec;
            its.value.nsec += now.nsec;
            if (its.value.nsec >= NSEC) {
                its.value.sec++;
                its.value.nsec -= NSEC;
            }
        }
        /* The recorded flags: ABSTIME as above, CANCEL_ON_SET so a clock change still cancels it. */
        check(sys4(__NR_timerfd_settime, fd, o->flags, &its, 0), "arm", "timerfd");
    }
    if (o->ticks) {
        /* Expirations that happened before the capture and were not read: a read gets them. */
        uint64_t ticks = o->ticks;
        check(sys3(__NR_ioctl, fd, TFD_IOC_SET_TICKS, &ticks), "set the expirations of", "timerfd");
    }
    return fd;
}
