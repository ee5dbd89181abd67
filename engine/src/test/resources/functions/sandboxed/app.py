import ctypes
import errno
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR_PTRACE, NR_MOUNT, NR_UNSHARE, NR_CLONE3 = 101, 165, 272, 435
PTRACE_TRACEME, CLONE_NEWUSER = 0, 0x10000000


def outcome(nr, *args):
    """'ok' if the raw system call succeeded, else the name of its errno."""
    ctypes.set_errno(0)
    if libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args]) >= 0:
        return "ok"
    return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))


def handler(event, context):
    """A hostile function: calls the sandbox must refuse, and fork, which it must allow."""
    with open("/proc/self/status") as status:
        fields = dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    _, code = os.waitpid(pid, 0)
    return {
        "ptrace": outcome(NR_PTRACE, PTRACE_TRACEME, 0, 0, 0),
        "mount": outcome(NR_MOUNT, b"none", b"/tmp", b"tmpfs", 0, 0),
        "unshare_user": outcome(NR_UNSHARE, CLONE_NEWUSER),
        "clone3": outcome(NR_CLONE3, 0, 0),
        "fork": os.waitstatus_to_exitcode(code),
        "seccomp": fields.get("Seccomp"),
        "filters": fields.get("Seccomp_filters"),
    }
