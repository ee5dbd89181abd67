/*
 * spice-restorer: rebuilds a process from a Spice image, from inside the new process.
 *
 * Freestanding (no libc), static, linked at RESTORER_BASE so that its code, data, stack
 * and the image metadata all sit in one fixed range that the restored process does not use
 * (the Java launcher refuses images that overlap it). One binary plays three roles:
 *
 *   launcher  started by Java: maps the image metadata and opens the mapped files, joins the
 *             instance's cgroup, clones the init process into fresh PID and mount namespaces
 *             (and user and network namespaces for a sandboxed instance, see sandbox.c),
 *             then waits for it (or returns at once with --detach), killing it if its lifeline
 *             pipe closes. (A zygote's init does the image part itself, once told which.)
 *   init      PID 1 of the new namespace: mounts a private /proc, clones the restored process
 *             at its original PID (clone3 set_tid), then queues the working set's reads while
 *             that process maps its memory; or in exec mode clones the process that execs the
 *             program to boot; reaps children; exits with the process's status.
 *   restore   the future process itself (its leader thread): in one pass over the metadata it
 *             clears its own address space, moves the vDSO, maps memory straight from the image
 *             and the original files, reopens files and recreates the kernel objects behind
 *             descriptors (eventfd.c, epoll.c, timerfd.c, signalfd.c, pipes.c, inotify.c, via
 *             fdobjects.c), sets process state, clones every other thread at its TID
 *             (threads.c; each sets its own thread state), sets its own, reports "ok", and
 *             finally jumps into its old registers through rt_sigreturn, unmapping itself;
 *             with threads, all of them leave together, the last step in threads.c.
 *
 * Usage: spice-restorer --status=FD [--detach] [--cgroup=DIR]... [--lifeline=FD] [--prefetch=MODE] [--pinned=FD:I,...] [SANDBOX] restore IMAGE
 *        spice-restorer --status=FD [--cgroup=DIR]... [--lifeline=FD] [SANDBOX] exec DIR PROGRAM [ARG...]
 *        spice-restorer --status=FD [--cgroup=DIR]... [--lifeline=FD] [SANDBOX] --command=FD zygote
 * SANDBOX (sandbox.c): --sandbox=ROOT --sandbox-id=HOSTID --tmp-size=BYTES [--host-network] [--bind=PATH]...
 * The exec mode boots a program the same way (fresh namespaces, same init) instead of restoring.
 * The zygote mode prepares everything but the image and restores when told which (see init()).
 * The status fd receives one line: "ok PID INIT_PID TL TI T0 T1 T2 T3" (host PIDs, then CLOCK_MONOTONIC
 * ns when the launcher started, the init started, the restore started, the address space was
 * emptied, memory was mapped, all state was set) or "error MESSAGE". docs/architecture.md describes every step.
 */
#include "restorer.h"

/* ---------- state shared by the three roles (inherited across clone) ---------- */

static char boot_stack[STACK_SIZE] __attribute__((aligned(16)));
char *const boot_stack_top = boot_stack + STACK_SIZE;

struct own_map own_maps[MAX_OWN_MAPS];   /* the launcher's address space, from /proc */
int own_map_count;

int status_fd = -1, image_fd = -1, hostproc_fd = -1;
const struct img_header *hdr;
const struct img_process *proc;
const struct img_thread *threads[MAX_THREADS];
uint32_t thread_count;
const struct img_vma *vmas;
const struct img_run *runs;
const struct img_file *files;
const struct img_fd *fds;
const char *strings;
const uint64_t *auxv;
const struct img_sigaction *sigactions;
const struct img_rlimit *rlimits;
const uint32_t *groups;
uint64_t vma_count, run_count, file_count, fd_count, strings_len, auxv_len, group_count;
const struct img_ws_range *ws;     /* the working set, if the image has one */
const struct img_ws_data *ws_data;
const struct img_thread_name *thread_names;
uint64_t thread_name_count;
uint64_t ws_count;
const struct img_seccomp_filter *seccomp;
uint64_t seccomp_len;
int prefetch_mode = PREFETCH_FULL;
int working_set_cached;              /* WS_*: how hot the restore is, see check_working_set_cached() */
int file_fds[MAX_FILES];
uint64_t t_launch, t_init, t_start, t_cleared, t_mapped, t_state;

/* ---------- restore: the role (its steps are in memory.c, files.c, state.c, workingset.c, sigframe.c) ---------- */

static long host_pid(const char *link)
{
    char buf[24];
    long n = sys4(__NR_readlinkat, hostproc_fd, link, buf, sizeof buf - 1);
    long v = 0;
    for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
        v = v * 10 + (buf[i] - '0');
    return v;
}

/*
 * Reports "ok PID INIT_PID TL TI T0 T1 T2 T3": the host's PIDs of this process and of its init
 * (the 4th field of the host's /proc/self/stat), then the timestamps.
 */
static void report_ok(void)
{
    long pid = host_pid("self"), init_pid = 0;
    char buf[256];
    long fd = sys4(__NR_openat, hostproc_fd, "self/stat", O_RDONLY | O_CLOEXEC, 0);
    long n = IS_ERR(fd) ? 0 : sys3(__NR_read, fd, buf, sizeof buf - 1);
    if (!IS_ERR(fd))
        sys1(__NR_close, fd);
    long i = 0;
    while (i < n && buf[i] != ')')
        i++;
    for (i += 4; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
        init_pid = init_pid * 10 + (buf[i] - '0');
    const uint64_t stamps[] = {t_launch, t_init, t_start, t_cleared, t_mapped, t_state};
    put("ok ");
    put_num(pid);
    put(" ");
    put_num(init_pid);
    for (unsigned k = 0; k < sizeof stamps / sizeof stamps[0]; k++) {
        put(" ");
        put_num((int64_t)stamps[k]);
    }
    flush_status();
}

__attribute__((noreturn)) void restore(void)
{
    t_start = now_ns();
    const struct img_thread *t = threads[0];
    block_signals();                            /* each thread's own mask returns with its frame */
    clear_address_space();
    place_vdso();
    anonymize_self();
    t_cleared = now_ns();
    map_memory();
    no_read_around();
    populate_working_set();
    t_mapped = now_ns();
    restore_rlimits();
    restore_fds();
    restore_process_state();
    spawn_threads();                            /* threads.c: the others, each setting its own state */
    restore_thread_state(t);
    restore_credentials();
    await_threads();
    t_state = now_ns();
    restore_seccomp();                          /* from here on every call goes through the filters */
    report_ok();
    sys1(__NR_close, status_fd);
    sys1(__NR_close, image_fd);
    sys1(__NR_close, hostproc_fd);
    if (thread_count > 1)
        leave_with_threads();
    final_jump(t);
}

/* ---------- init and launcher ---------- */

#define MAX_CGROUPS 4               /* --cgroup may be given this often */

static int lifeline_fd = -1;        /* launcher: ends the instance when this pipe's writer is gone */
static int command_fd = -1;         /* zygote mode: the init waits here for "restore IMAGE" */
static const char *exec_dir;        /* exec mode: working directory, program and its arguments */
static char **exec_argv, **exec_envp;
static const char *image_path;      /* restore mode in a sandbox: the init loads the image */

static long clone3(struct clone_args *a)
{
    return sys2(__NR_clone3, a, sizeof *a);
}

/* Exec mode: the child of the init becomes the program (a fresh boot instead of a restore). */
static __attribute__((noreturn)) void exec_child(void)
{
    t_start = t_cleared = t_mapped = t_state = now_ns();
    report_ok();
    sys3(__NR_fcntl, status_fd, F_SETFD, FD_CLOEXEC);  /* a successful exec closes the report */
    sys1(__NR_close, hostproc_fd);
    sandbox_drop_to_user();
    check(sys1(__NR_chdir, exec_dir), "chdir", exec_dir);
    if (sandbox.on)
        install_default_filter();               /* part of the sandbox; inherited across execve */
    long r = sys3(__NR_execve, exec_argv[0], exec_argv, exec_envp);
    die("exec", exec_argv[0], r);
}

static int parse_prefetch(const char *s)
{
    if (str_eq(s, "none"))
        return PREFETCH_NONE;
    if (str_eq(s, "read"))
        return PREFETCH_READ;
    if (str_eq(s, "full"))
        return PREFETCH_FULL;
    if (str_eq(s, "record"))
        return PREFETCH_RECORD;
    die("usage", "--prefetch takes none, read, full or record", 0);
}

/*
 * Zygote mode: the namespaces, the cgroup and the stdio are ready before there is anything to
 * restore. The init reports "ready INIT_PID", waits for its command on the command socket:
 * lines "files I J ..." that name the descriptors sent with them (the engine's pinned files, see
 * pin_file()), in a sandbox a line "bind PATH" for each path of the function's own to bind, then
 * "restore PREFETCH IMAGE", and only then reads the image. Timestamps restart at the command, so
 * the report measures the restore, not the wait.
 */
/*
 * Descriptors that came with the commands (SCM_RIGHTS), in order, until a "files" line names
 * them: the kernel hands a message's descriptors over with its first bytes, so they are here
 * before the line that names them is complete.
 */
static int received[MAX_FILES];
static uint32_t received_count, received_named;

static long receive(char *buf, size_t len)
{
    static char control[4096] __attribute__((aligned(8)));
    struct iovec_k iov = {buf, len};
    struct msghdr_k m = {0};
    m.iov = &iov;
    m.iovlen = 1;
    m.control = control;
    m.controllen = sizeof control;
    long r = sys3(__NR_recvmsg, command_fd, &m, MSG_CMSG_CLOEXEC);
    if (IS_ERR(r))
        return r;
    if (m.flags & MSG_CTRUNC)
        die("zygote", "got more descriptors in one message than it takes", 0);
    for (size_t off = 0; off + sizeof(struct cmsghdr_k) <= m.controllen;) {
        struct cmsghdr_k *c = (struct cmsghdr_k *)(control + off);
        if (c->len < sizeof *c)
            break;
        if (c->level == SOL_SOCKET && c->type == SCM_RIGHTS)
            for (size_t k = 0; k < (c->len - sizeof *c) / sizeof(int); k++) {
                if (received_count == MAX_FILES)
                    die("zygote", "got too many descriptors", 0);
                received[received_count++] = ((int *)(c + 1))[k];
            }
        off += (c->len + 7) & ~(size_t)7;
    }
    return r;
}

/* "files I J ...": the next descriptors received are the image's files I, J, ... */
static void name_received(const char *s)
{
    while (*s) {
        if (*s < '0' || *s > '9')
            die("zygote", "got a bad files line", 0);
        uint64_t index = 0;
        while (*s >= '0' && *s <= '9')
            index = index * 10 + (uint64_t)(*s++ - '0');
        if (*s == ' ')
            s++;
        if (received_named == received_count)
            die("zygote", "got a file index without a descriptor", 0);
        pin_file(index, received[received_named++]);
    }
}

static void await_command(void)
{
    /* What does not depend on the image is done before the wait: the restored process inherits it. */
    read_own_maps();
    clear_address_space();
    anonymize_self();
    put("ready ");
    put_num(host_pid("self"));
    flush_status();
    static char buf[16384];
    size_t n = 0;
    char *line = buf;
    for (;;) {                                  /* one write from Java: usually one read */
        char *end = line;
        while (end < buf + n && *end != '\n')
            end++;
        if (end == buf + n) {
            long r = receive(buf + n, sizeof buf - 1 - n);
            if (r <= 0 || n + (size_t)r >= sizeof buf - 1)
                sys1(__NR_exit_group, 0);       /* the engine went away: nothing to restore */
            n += (size_t)r;
            continue;
        }
        *end = 0;
        if (has_prefix(line, "files ")) {
            name_received(line + 6);
            line = end + 1;
            continue;
        }
        if (!has_prefix(line, "bind "))
            break;
        if (!sandbox.on)
            die("zygote", "got a bind without a sandbox", 0);
        sandbox_bind(line + 5);
        line = end + 1;
    }
    if (received_named != received_count)
        die("zygote", "got descriptors without a files line", 0);
    sys1(__NR_close, command_fd);
    t_launch = t_init = now_ns();
    /* "restore PREFETCH IMAGE" */
    if (!has_prefix(line, "restore "))
        die("zygote", "got an unknown command", 0);
    char *mode = line + 8, *path = mode;
    while (*path && *path != ' ')
        path++;
    if (!*path)
        die("zygote", "got a command without an image", 0);
    *path++ = 0;
    prefetch_mode = parse_prefetch(mode);
    load_image(path);
}

/* The image's own checks in a sandbox, then the view is entered and the mapped files opened in it. */
static void open_in_view(void)
{
    sandbox_check_credentials();
    sandbox_enter();
    open_files();
}

__attribute__((noreturn)) void init(void)
{
    t_init = now_ns();
    if (lifeline_fd >= 0)
        sys1(__NR_close, lifeline_fd);
    sys2(__NR_prctl, PR_SET_NAME, "spice-init");
    sandbox_await_ids();
    check(sys5(__NR_mount, 0, "/", 0, MS_REC | MS_PRIVATE, 0), "mount", "private /");
    check(sys5(__NR_mount, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0),
          "mount", "/proc");
    /* No new privileges for anything in the namespace: no setuid or file-capability gains on exec. */
    check(sys5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "no_new_privs");
    sandbox_prepare();
    if (command_fd >= 0) {
        await_command();
        open_in_view();
    } else if (image_path) {
        read_own_maps();
        load_image(image_path);
        open_in_view();
    } else if (!proc) {
        sandbox_enter();
    }
    int64_t pid = proc ? proc->pid : 0;
    if (pid == 1) {
        read_working_set();
        restore();                              /* the process was itself an init */
    }
    struct clone_args a = {0};
    a.exit_signal = SIGCHLD;
    if (pid) {
        a.set_tid = (uint64_t)&pid;             /* the restored process gets its old PID */
        a.set_tid_size = 1;
    }
    long child = check(clone3(&a), "clone3", "process");
    if (child == 0) {
        if (proc)
            restore();
        exec_child();
    }
    if (proc)
        read_working_set();                     /* while the process maps its memory */
    sys1(__NR_close, status_fd);
    if (image_fd >= 0)
        sys1(__NR_close, image_fd);
    close_files();
    sys1(__NR_close, hostproc_fd);
    for (;;) {                                  /* reap everything; leave with the process */
        int status = 0;
        long w = sys4(__NR_wait4, -1, &status, __WALL, 0);
        if (w == child || IS_ERR(w))
            sys1(__NR_exit_group, IS_ERR(w) ? 125
                                  : WIFEXITED(status) ? WEXITSTATUS(status)
                                                      : 128 + WTERMSIG(status));
    }
}

static uint64_t parse_u64(const char *s)
{
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

static int parse_int(const char *s)
{
    return (int)parse_u64(s);
}

/* Moves the launcher, and so everything it starts, into a cgroup (v1 or v2): DIR/cgroup.procs. */
static void join_cgroup(const char *dir)
{
    static char path[4096];
    size_t n = 0;
    for (const char *p = dir; *p && n < sizeof path - 16; p++)
        path[n++] = *p;
    for (const char *p = "/cgroup.procs"; *p; p++)
        path[n++] = *p;
    path[n] = 0;
    long fd = check(sys4(__NR_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0), "open", path);
    check(sys3(__NR_write, fd, "0\n", 2), "join cgroup", dir);
    sys1(__NR_close, fd);
}

/*
 * Waits for the init and exits with its status. With a lifeline, the end of the caller (the
 * write end of the pipe closes) kills the init, and with it the whole namespace.
 */
static __attribute__((noreturn)) void wait_for_init(long init_pid)
{
    if (lifeline_fd >= 0) {
        struct { int fd; short events, revents; } fds[2] = {
            {(int)check(sys2(__NR_pidfd_open, init_pid, 0), "pidfd_open", "init"), 1, 0},
            {lifeline_fd, 1, 0},
        };
        while (!fds[0].revents) {
            long r = sys3(__NR_poll, fds, 2, -1);
            if (!IS_ERR(r) && fds[1].revents) {
                sys2(__NR_kill, init_pid, 9);
                break;
            }
        }
    }
    int status = 0;
    long w = sys4(__NR_wait4, init_pid, &status, __WALL, 0);
    sys1(__NR_exit_group, IS_ERR(w) ? 125 : WIFEXITED(status) ? WEXITSTATUS(status)
                                                              : 128 + WTERMSIG(status));
    __builtin_unreachable();
}

static __attribute__((noreturn)) void usage(void)
{
    static const char text[] =
        "usage: spice-restorer --status=FD [--detach] [--cgroup=DIR]... [--lifeline=FD] [--prefetch=MODE] [--pinned=FD:I,...] [SANDBOX] restore IMAGE\n"
        "       spice-restorer --status=FD [--cgroup=DIR]... [--lifeline=FD] [SANDBOX] exec DIR PROGRAM [ARG...]\n"
        "       spice-restorer --status=FD [--cgroup=DIR]... [--lifeline=FD] [SANDBOX] --command=FD zygote\n"
        "SANDBOX: --sandbox=ROOT --sandbox-id=HOSTID --tmp-size=BYTES [--host-network] [--bind=PATH]...\n";
    sys3(__NR_write, 2, text, sizeof text - 1);
    sys1(__NR_exit_group, 2);
    __builtin_unreachable();
}

/* --pinned=FD:I,J,...: descriptors FD, FD+1, ... are the engine's pinned files I, J, ... (pin_file()). */
static void parse_pinned(const char *s)
{
    int fd = parse_int(s);
    while (*s >= '0' && *s <= '9')
        s++;
    if (*s++ != ':')
        usage();
    while (*s) {
        if (*s < '0' || *s > '9')
            usage();
        pin_file(parse_u64(s), fd++);
        while (*s >= '0' && *s <= '9')
            s++;
        if (*s == ',')
            s++;
        else if (*s)
            usage();
    }
}

__attribute__((noreturn, used)) void restorer_main(long *sp)
{
    t_launch = now_ns();
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    exec_envp = argv + argc + 1;
    int detach = 0, i = 1, cgroup_count = 0;
    const char *cgroups[MAX_CGROUPS];           /* one per v1 hierarchy (memory, pids), or one v2 directory */
    for (; i < argc && has_prefix(argv[i], "--"); i++) {
        if (has_prefix(argv[i], "--status="))
            status_fd = parse_int(argv[i] + 9);
        else if (has_prefix(argv[i], "--lifeline="))
            lifeline_fd = parse_int(argv[i] + 11);
        else if (has_prefix(argv[i], "--cgroup=") && cgroup_count < MAX_CGROUPS)
            cgroups[cgroup_count++] = argv[i] + 9;
        else if (has_prefix(argv[i], "--command="))
            command_fd = parse_int(argv[i] + 10);
        else if (has_prefix(argv[i], "--pinned="))
            parse_pinned(argv[i] + 9);
        else if (has_prefix(argv[i], "--prefetch="))
            prefetch_mode = parse_prefetch(argv[i] + 11);
        else if (str_eq(argv[i], "--detach"))
            detach = 1;
        else if (has_prefix(argv[i], "--sandbox="))
            sandbox_set_root(argv[i] + 10);
        else if (has_prefix(argv[i], "--sandbox-id="))
            sandbox.host_id = (uint64_t)parse_int(argv[i] + 13);
        else if (has_prefix(argv[i], "--tmp-size="))
            sandbox.tmp_bytes = parse_u64(argv[i] + 11);
        else if (str_eq(argv[i], "--host-network"))
            sandbox.host_network = 1;
        else if (has_prefix(argv[i], "--bind=") && sandbox.bind_count < MAX_BINDS)
            sandbox.binds[sandbox.bind_count++] = argv[i] + 7;
        else
            usage();
    }
    int restoring = i + 1 < argc && str_eq(argv[i], "restore");
    int executing = i + 2 < argc && str_eq(argv[i], "exec");
    int zygote = i < argc && str_eq(argv[i], "zygote") && command_fd >= 0;
    if (status_fd < 0 || (!restoring && !executing && !zygote) ||
        (sandbox.on && (!sandbox.host_id || !sandbox.tmp_bytes)))
        usage();
    sys2(__NR_prctl, PR_SET_NAME, "spice-launch");
    hostproc_fd = (int)check(sys4(__NR_openat, AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC, 0),
                             "open", "/proc");
    if (restoring && sandbox.on) {
        image_path = argv[i + 1];
    } else if (restoring) {
        read_own_maps();
        load_image(argv[i + 1]);
        open_files();
    } else if (executing) {
        exec_dir = argv[i + 1];
        exec_argv = argv + i + 2;
    }
    for (int c = 0; c < cgroup_count; c++)
        join_cgroup(cgroups[c]);
    struct clone_args a = {0};
    a.flags = CLONE_NEWPID | CLONE_NEWNS | (uint64_t)sandbox_clone_flags();
    a.exit_signal = SIGCHLD;
    long child = check(clone3(&a), "clone3", "init process");
    if (child == 0)
        init();
    sandbox_map_ids(child);
    sys1(__NR_close, status_fd);
    if (image_fd >= 0)                          /* the init has its own copies */
        sys1(__NR_close, image_fd);
    close_files();
    if (command_fd >= 0)
        sys1(__NR_close, command_fd);
    if (detach)
        sys1(__NR_exit_group, 0);
    wait_for_init(child);
}

/* Entry: switch to our own stack inside the fixed range, then run restorer_main(sp). */
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "  mov %rsp, %rdi\n"
        "  mov boot_stack_top(%rip), %rsp\n"
        "  call restorer_main\n"
        "  hlt\n");
