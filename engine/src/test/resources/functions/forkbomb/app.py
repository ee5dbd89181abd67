import errno
import os
import time


def handler(event, context):
    """A hostile function: with {"bomb": true} it forks until the kernel refuses (children sleep)."""
    if not event.get("bomb"):
        with open("/proc/self/status") as status:
            no_new_privs = [line.split()[1] for line in status if line.startswith("NoNewPrivs:")]
        return {"forked": 0, "no_new_privs": no_new_privs[0]}
    forked = 0
    while forked < 100000:
        try:
            pid = os.fork()
        except OSError as e:
            return {"forked": forked, "error": errno.errorcode.get(e.errno, str(e.errno))}
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        forked += 1
    return {"forked": forked, "error": None}
