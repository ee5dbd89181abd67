/*
 * The sandbox of an engine instance: user, network and mount namespaces (docs/sandbox.md).
 *
 * The launcher clones the init into a new user namespace (with the PID and mount namespaces,
 * and a network namespace unless --host-network) and writes its id maps: namespace uid and gid 0
 * are host 0, for the init alone (it must still open host files: the image, the mapped files),
 * and SANDBOX_USER is the unprivileged host id given with --sandbox-uid. The init builds the
 * instance's file system on a tmpfs mounted at the --sandbox root: read-only binds of the host
 * paths given with --bind (and, for a zygote, the function's code named with its command), each
 * at its host path, so that every path a snapshot recorded is the same path inside; its own
 * /proc, a minimal /dev, a size-limited /tmp. Then pivot_root makes that tree the root, and the
 * root itself read-only. The function runs as SANDBOX_USER, without capabilities.
 */
#include "restorer.h"

struct sandbox sandbox;
static char root_path[4096];         /* a copy: a zygote unmaps the stack that argv lives on */

void sandbox_set_root(const char *root)
{
    size_t n = 0;
    while (root[n] && n < sizeof root_path - 1) {
        root_path[n] = root[n];
        n++;
    }
    root_path[n] = 0;
    sandbox.on = 1;
    sandbox.root = root_path;
}

#define MOUNT_ATTR_RDONLY 0x1
#define MOUNT_ATTR_NOSUID 0x2
#define MOUNT_ATTR_NODEV  0x4
#define AT_RECURSIVE      0x8000
#define AT_SYMLINK_NOFOLLOW 0x100
#define S_IFMT   0170000
#define S_IFDIR  0040000
#define S_IFLNK  0120000
#define EEXIST   17

struct mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

static int ids_pipe[2] = {-1, -1};   /* the init waits on [0] until the launcher wrote its id maps */

int sandbox_clone_flags(void)
{
    if (!sandbox.on)
        return 0;
    check(sys2(__NR_pipe2, ids_pipe, O_CLOEXEC), "pipe", "id maps");
    return CLONE_NEWUSER | (sandbox.host_network ? 0 : CLONE_NEWNET);
}

/* Appends the decimal digits of v to buf at *n. */
static void append_num(char *buf, size_t *n, uint64_t v)
{
    char digits[24];
    int k = 0;
    do
        digits[k++] = (char)('0' + v % 10);
    while ((v /= 10) && k < 24);
    while (k)
        buf[(*n)++] = digits[--k];
}

static void append(char *buf, size_t *n, const char *s)
{
    while (*s)
        buf[(*n)++] = *s++;
}

static void write_proc(long pid, const char *file, const char *text, size_t len)
{
    char path[64];
    size_t n = 0;
    append(path, &n, "/proc/");
    append_num(path, &n, (uint64_t)pid);
    append(path, &n, "/");
    append(path, &n, file);
    path[n] = 0;
    long fd = check(sys4(__NR_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0), "open", path);
    check(sys3(__NR_write, fd, text, len), "write", path);
    sys1(__NR_close, fd);
}

/* Launcher: namespace 0 is host 0 (the init), SANDBOX_USER is the unprivileged host id; then the init may go on. */
void sandbox_map_ids(long child)
{
    if (!sandbox.on)
        return;
    char map[64];
    size_t n = 0;
    append(map, &n, "0 0 1\n");
    append_num(map, &n, SANDBOX_USER);
    append(map, &n, " ");
    append_num(map, &n, sandbox.host_id);
    append(map, &n, " 1\n");
    write_proc(child, "uid_map", map, n);
    write_proc(child, "gid_map", map, n);
    sys1(__NR_close, ids_pipe[1]);
    sys1(__NR_close, ids_pipe[0]);
}

/* Init, first: the ids mean nothing until the launcher has mapped them; it closes the pipe when done. */
void sandbox_await_ids(void)
{
    if (!sandbox.on)
        return;
    char c;
    sys1(__NR_close, ids_pipe[1]);
    while (sys3(__NR_read, ids_pipe[0], &c, 1) > 0) {
    }
    sys1(__NR_close, ids_pipe[0]);
}

/* The path of host path `path` inside the new root, in a static buffer. */
static const char *inside(const char *path)
{
    static char buf[4096];
    size_t n = 0;
    for (const char *p = sandbox.root; *p && n < sizeof buf - 1; p++)
        buf[n++] = *p;
    for (const char *p = path; *p && n < sizeof buf - 1; p++)
        buf[n++] = *p;
    buf[n] = 0;
    return buf;
}

/* mkdir -p of `path` (already inside the new root), each component 0755. */
static void make_dirs(const char *path)
{
    char buf[4096];
    size_t n = 0;
    for (const char *p = path; *p && n < sizeof buf - 1; p++) {
        if (*p == '/' && n > 0) {
            buf[n] = 0;
            long r = sys3(__NR_mkdirat, AT_FDCWD, buf, 0755);
            if (IS_ERR(r) && r != -EEXIST)
                die("mkdir", buf, r);
        }
        buf[n++] = *p;
    }
    buf[n] = 0;
    long r = sys3(__NR_mkdirat, AT_FDCWD, buf, 0755);
    if (IS_ERR(r) && r != -EEXIST)
        die("mkdir", buf, r);
}

static void parent_dirs(const char *path)
{
    char buf[4096];
    size_t n = 0, slash = 0;
    for (const char *p = path; *p && n < sizeof buf - 1; p++, n++) {
        buf[n] = *p;
        if (*p == '/')
            slash = n;
    }
    buf[slash] = 0;
    if (slash)
        make_dirs(buf);
}

static void set_attr(const char *path, uint64_t attrs, int recursive)
{
    struct mount_attr a = {attrs, 0, 0, 0};
    check(sys5(__NR_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &a, sizeof a),
          "mount_setattr", path);
}

static void mount_tmpfs(const char *target, uint64_t bytes, const char *mode, long flags)
{
    char options[64];
    size_t n = 0;
    append(options, &n, "size=");
    append_num(options, &n, bytes);
    append(options, &n, ",mode=");
    append(options, &n, mode);
    options[n] = 0;
    make_dirs(target);
    check(sys5(__NR_mount, "tmpfs", target, "tmpfs", flags, options), "mount tmpfs", target);
}

/*
 * Makes host path `path` appear at the same path inside: a symbolic link is recreated (so
 * /lib -> usr/lib stays a link), a directory or file is bound there with `attrs` (read-only,
 * no setuid, and no devices unless it is one).
 */
static void mirror(const char *path, uint64_t attrs)
{
    struct kstat st;
    check(sys4(__NR_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW), "stat", path);
    const char *target = inside(path);
    if ((st.st_mode & S_IFMT) == S_IFLNK) {
        char link[4096];
        long len = check(sys4(__NR_readlinkat, AT_FDCWD, path, link, sizeof link - 1), "readlink", path);
        link[len] = 0;
        parent_dirs(target);
        long r = sys3(__NR_symlinkat, link, AT_FDCWD, target);
        if (IS_ERR(r) && r != -EEXIST)
            die("symlink", target, r);
        return;
    }
    if ((st.st_mode & S_IFMT) == S_IFDIR) {
        make_dirs(target);
    } else {
        parent_dirs(target);
        long fd = sys4(__NR_openat, AT_FDCWD, target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (IS_ERR(fd))
            die("create", target, fd);
        sys1(__NR_close, fd);
    }
    check(sys5(__NR_mount, path, target, 0, MS_BIND | MS_REC, 0), "bind", path);
    set_attr(target, attrs, 1);
}

void sandbox_bind(const char *path)
{
    mirror(path, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}

/* The loopback interface of a new network namespace is down; bring it up. */
static void loopback_up(void)
{
    struct { char name[16]; short flags; char pad[22]; } ifr = {"lo", 0, {0}};
    long s = check(sys3(__NR_socket, 2 /* AF_INET */, 2 /* SOCK_DGRAM */ | O_CLOEXEC, 0), "socket", "lo");
    check(sys3(__NR_ioctl, s, 0x8913 /* SIOCGIFFLAGS */, &ifr), "ioctl", "lo flags");
    ifr.flags |= 0x1 | 0x40;                    /* IFF_UP | IFF_RUNNING */
    check(sys3(__NR_ioctl, s, 0x8914 /* SIOCSIFFLAGS */, &ifr), "ioctl", "lo up");
    sys1(__NR_close, s);
}

/* Init, before anything else: the new root with everything but the function's own code. */
void sandbox_prepare(void)
{
    if (!sandbox.on)
        return;
    if (!sandbox.host_network)
        loopback_up();
    mount_tmpfs(sandbox.root, 1 << 20, "755", MS_NOSUID | MS_NODEV);
    mount_tmpfs(inside("/tmp"), sandbox.tmp_bytes, "1777", MS_NOSUID | MS_NODEV);
    mount_tmpfs(inside("/dev"), 64 << 10, "755", MS_NOSUID | MS_NOEXEC);
    static const char *const devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
    for (unsigned i = 0; i < sizeof devices / sizeof devices[0]; i++)
        mirror(devices[i], MOUNT_ATTR_NOSUID);
    static const char *const links[][2] = {
        {"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    };
    for (unsigned i = 0; i < sizeof links / sizeof links[0]; i++)
        check(sys3(__NR_symlinkat, links[i][0], AT_FDCWD, inside(links[i][1])), "symlink", links[i][1]);
    mount_tmpfs(inside("/dev/shm"), sandbox.tmp_bytes, "1777", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    make_dirs(inside("/proc"));
    check(sys5(__NR_mount, "proc", inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0),
          "mount", "/proc");
    for (int i = 0; i < sandbox.bind_count; i++)
        sandbox_bind(sandbox.binds[i]);
}

/* Init, once everything is bound: the new tree becomes the root; the host's is gone. */
void sandbox_enter(void)
{
    if (!sandbox.on)
        return;
    check(sys1(__NR_chdir, sandbox.root), "chdir", sandbox.root);
    /* pivot_root(".", "."): the old root ends up on top of the new one, and is detached at once. */
    check(sys2(__NR_pivot_root, ".", "."), "pivot_root", sandbox.root);
    check(sys2(__NR_umount2, ".", MNT_DETACH), "umount", "the host's root");
    check(sys1(__NR_chdir, "/"), "chdir", "/");
    set_attr("/", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0);
    sys2(__NR_prctl, PR_SET_DUMPABLE, 0);     /* the init holds host ids: nothing may attach to it */
}

/* Exec child: the booted program runs as SANDBOX_USER, which drops every capability. */
void sandbox_drop_to_user(void)
{
    if (!sandbox.on)
        return;
    check(sys2(__NR_setgroups, 0, 0), "setgroups", 0);
    check(sys3(__NR_setresgid, SANDBOX_USER, SANDBOX_USER, SANDBOX_USER), "setresgid", 0);
    check(sys3(__NR_setresuid, SANDBOX_USER, SANDBOX_USER, SANDBOX_USER), "setresuid", 0);
}

/* Restore: a sandboxed image must not run as the namespace's root, which is host root. */
void sandbox_check_credentials(void)
{
    if (!sandbox.on)
        return;
    for (int i = 0; i < 4; i++)
        if (proc->uid[i] == 0 || proc->gid[i] == 0)
            die("sandbox", "the image runs as root, which a sandboxed instance may not", 0);
}
