"""A hostile function: each probe tries one way out of its sandbox and reports what happened."""
import ctypes
import errno
import os
import signal
import socket
import time

libc = ctypes.CDLL(None, use_errno=True)


def failure(e):
    return {"ok": False, "error": errno.errorcode.get(e.errno, str(e.errno))}


def call(result):
    """A libc call's outcome: {"ok": True} or the errno name."""
    if result == -1:
        return {"ok": False, "error": errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))}
    return {"ok": True}


def read(path):
    try:
        with open(path, "rb") as f:
            return {"ok": True, "bytes": len(f.read())}
    except OSError as e:
        return failure(e)


def listdir(path):
    try:
        return {"ok": True, "entries": sorted(os.listdir(path))}
    except OSError as e:
        return failure(e)


def write(path):
    try:
        with open(path, "w") as f:
            f.write("escaped")
        return {"ok": True}
    except OSError as e:
        return failure(e)


def fill_tmp():
    written = 0
    chunk = b"x" * (1 << 20)
    try:
        with open("/tmp/fill", "wb") as f:
            while written < (1 << 34):
                f.write(chunk)
                f.flush()
                written += len(chunk)
        return {"ok": True, "written": written}
    except OSError as e:
        return dict(failure(e), written=written)
    finally:
        try:
            os.unlink("/tmp/fill")
        except OSError:
            pass


def connect(port):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        return {"ok": True}
    except OSError as e:
        return failure(e) if e.errno else {"ok": False, "error": type(e).__name__}
    finally:
        s.close()


def signal_pid(pid):
    try:
        os.kill(pid, signal.SIGKILL)
        return {"ok": True}
    except OSError as e:
        return failure(e)


def processes():
    seen = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    seen.append(f.read().strip())
            except OSError:
                seen.append("?")
    return {"ok": True, "processes": sorted(seen)}


def linger(seconds):
    """Leaves a detached grandchild behind that runs forever, then outlives the timeout itself."""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            while True:
                time.sleep(0.05)
        os._exit(0)
    os.wait()
    time.sleep(seconds)
    return {"ok": True}


def identity():
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    with open("/proc/self/mounts") as f:
        mounts = sorted(line.split()[1] for line in f)
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}").split(":")[0]   # the kind, not the inode
        except OSError:
            pass
    return {"ok": True, "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "cap_eff": status["CapEff"], "cap_prm": status["CapPrm"], "no_new_privs": status["NoNewPrivs"],
            "seccomp": status.get("Seccomp"), "mounts": mounts,
            "interfaces": sorted(name for _, name in socket.if_nameindex()),
            "fds": fds, "uid_map": open("/proc/self/uid_map").read().split()}


def handler(event, context):
    probe = event.get("probe")
    if probe == "read":
        return read(event["path"])
    if probe == "list":
        return listdir(event["path"])
    if probe == "write":
        return write(event["path"])
    if probe == "fill_tmp":
        return fill_tmp()
    if probe == "connect":
        return connect(event["port"])
    if probe == "signal":
        return signal_pid(event["pid"])
    if probe == "processes":
        return processes()
    if probe == "ptrace":
        return call(libc.ptrace(16, event["pid"], None, None))          # PTRACE_ATTACH
    if probe == "mount":
        os.makedirs("/tmp/m", exist_ok=True)
        return call(libc.mount(b"tmpfs", b"/tmp/m", b"tmpfs", 0, None))
    if probe == "module":
        return call(libc.syscall(313, os.open("/dev/null", os.O_RDONLY), b"", 0))   # finit_module
    if probe == "chroot":
        return call(libc.chroot(b"/tmp"))
    if probe == "linger":
        return linger(event["seconds"])
    if probe == "identity":
        return identity()
    return {"ok": False, "error": "unknown probe"}
