/* signalfd: a descriptor that reads the signals of its mask (docs/image-format.md, SIGNALFD). */
#include "restorer.h"

int create_signalfd(const struct img_fd_object *o)
{
    /* -1: a new signalfd; the mask is the kernel's sigset_t of 8 bytes. The kernel drops SIGKILL
     * and SIGSTOP from it itself, as it did when the process made it. Pending signals are not
     * part of the object: capture refuses a process that has any. */
    uint64_t mask = o->value;
    return new_fd_high(sys4(__NR_signalfd4, -1, &mask, sizeof mask, 0), "signalfd");
}
