/*
 * epoll: an interest list of other descriptors (docs/image-format.md, EPOLL, "epoll_target").
 * The instance is created with the other descriptors; its registrations are added once every
 * descriptor of the image is at its number (restore_fd_links), because the kernel keys each one
 * by (open file, descriptor number) and a target, another epoll included, must exist to be added.
 */
#include "restorer.h"

int create_epoll(const struct img_fd_object *o)
{
    (void)o;                                   /* the registrations come later */
    return new_fd_high(sys1(__NR_epoll_create1, 0), "epoll");
}

void add_epoll_targets(const struct img_fd_object *o, int epfd)
{
    for (uint32_t i = o->first; i < o->first + o->count; i++) {
        const struct img_epoll_target *t = &epoll_targets[i];
        /* The mask as fdinfo showed it, flags included (EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE);
         * a one-shot registration that had fired holds only flags and stays disarmed. The target's
         * readiness is the kernel's to compute: it polls the target on the add. */
        struct epoll_event_k ev = {t->events, t->data};
        check(sys4(__NR_epoll_ctl, epfd, EPOLL_CTL_ADD, t->fd, &ev), "register a descriptor in", "epoll");
    }
}
