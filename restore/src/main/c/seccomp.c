/*
 * Seccomp filters: the image's (checked when the image is loaded, installed by the restore role
 * as its last state step) and the engine's default filter (installed by the exec child right
 * before execve, so that a booted instance runs in it and a capture records it like any other).
 */
#include "restorer.h"

#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_FILTER_FLAG_TSYNC 1
#define SECCOMP_RET_KILL_PROCESS 0x80000000u
#define SECCOMP_RET_ERRNO        0x00050000u
#define SECCOMP_RET_ALLOW        0x7fff0000u
#define AUDIT_ARCH_X86_64        0xc000003eu
#define X32_SYSCALL_BIT          0x40000000u
#define EPERM  1
#define ENOSYS 38
#define ESRCH  3
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467                 /* Linux 6.15; older headers lack it */
#endif

/* Classic BPF, as seccomp(2) takes it. */
struct sock_filter { uint16_t code; uint8_t jt, jf; uint32_t k; };
struct sock_fprog { uint16_t len; const struct sock_filter *filter; };
#define BPF_LD_W_ABS 0x20                       /* A = 32-bit word of seccomp_data at k */
#define BPF_JEQ_K    0x15                       /* pc += (A == k) ? jt : jf */
#define BPF_JGE_K    0x35                       /* pc += (A >= k) ? jt : jf */
#define BPF_JSET_K   0x45                       /* pc += (A & k) ? jt : jf */
#define BPF_RET_K    0x06                       /* return k */
#define DATA_NR      0                          /* offsets in struct seccomp_data */
#define DATA_ARCH    4
#define DATA_ARG0_LO 16                         /* low word of args[0] (little-endian) */

/* ---------- launcher: the image's filters, checked before anything is created ---------- */

/*
 * Walks the SECCOMP section: every filter header and its instructions inside the section, the
 * counts and flags within what the kernel accepts. The Java reader checks the same; the restorer
 * relies on no one.
 */
void check_seccomp_filters(void)
{
    uint64_t at = 0, path = 0;                  /* bytes walked; instructions with penalties */
    while (at < seccomp_len) {
        if (seccomp_len - at < sizeof(struct img_seccomp_filter))
            die("image", "has a seccomp section that ends inside a filter", 0);
        const struct img_seccomp_filter *f = (const void *)((const char *)seccomp + at);
        uint64_t n = f->insn_count;
        if (n == 0 || n > IMG_SECCOMP_MAX_INSNS || n * sizeof(struct sock_filter) > seccomp_len - at - sizeof *f ||
            (f->flags & ~IMG_SECCOMP_FLAGS))
            die("image", "has a seccomp filter of invalid size or flags", 0);
        path += n + 4;                           /* the kernel charges 4 instructions per filter */
        if (path > IMG_SECCOMP_MAX_PATH)
            die("image", "has seccomp filters longer than the kernel allows", 0);
        at += sizeof *f + n * sizeof(struct sock_filter);
    }
}

/* ---------- restore: the image's filters, the last state step ---------- */

/*
 * Installs the recorded filters, oldest first, so that the kernel stacks them as they were.
 * The credentials are already dropped and no_new_privs already set (by the init, for everything
 * in the namespace), which a filter needs without CAP_SYS_ADMIN. From here on every call of the
 * restorer goes through them: the report (readlinkat, openat, read, close, write), the final
 * stub's mmap, munmap, mremap and rt_sigreturn, and exit_group on an error. Java refuses an image
 * whose filters would not allow those (ImageValidator) before it starts anything.
 */
void restore_seccomp(void)
{
    for (uint64_t at = 0; at < seccomp_len;) {
        const struct img_seccomp_filter *f = (const void *)((const char *)seccomp + at);
        struct sock_fprog prog = {(uint16_t)f->insn_count, (const struct sock_filter *)(f + 1)};
        /* TSYNC: every thread gets the same filter; a positive result names a thread that could not. */
        long r = sys3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, f->flags | (thread_count > 1 ? SECCOMP_FILTER_FLAG_TSYNC : 0),
                      &prog);
        if (r)
            die("seccomp", "install a filter", r > 0 ? -ESRCH : r);
        at += sizeof *f + f->insn_count * sizeof(struct sock_filter);
    }
}

/* ---------- exec child: the engine's default filter ---------- */

/*
 * Calls no function needs and a hostile one would use against the host or its neighbours; each
 * fails with EPERM, what the kernel says to an unprivileged caller. docs/sandbox.md ("Seccomp")
 * gives the reason for each. The program is built here rather than in Java: it belongs to the
 * exec child, which installs it after everything the restorer itself still does there and right
 * before execve, so no protocol carries it; Java sees it, like any filter, through capture.
 */
static const uint32_t denied[] = {
    __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev,          /* other processes' memory */
    __NR_kexec_load, __NR_kexec_file_load, __NR_reboot,                   /* the kernel itself */
    __NR_init_module, __NR_finit_module, __NR_delete_module,
    __NR_mount, __NR_umount2, __NR_pivot_root, __NR_move_mount,           /* the mount tree */
    __NR_open_tree, __NR_open_tree_attr, __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick,
    __NR_mount_setattr,
    __NR_bpf, __NR_perf_event_open, __NR_userfaultfd,                     /* kernel attack surface */
    __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
    __NR_keyctl, __NR_add_key, __NR_request_key,                          /* kernel keyrings */
    __NR_setns,                                                           /* other namespaces */
    __NR_swapon, __NR_swapoff, __NR_acct, __NR_quotactl, __NR_quotactl_fd, /* host administration */
    __NR_syslog, __NR_sethostname, __NR_setdomainname, __NR_settimeofday, __NR_clock_settime,
    __NR_iopl, __NR_ioperm,                                               /* hardware ports */
    __NR_open_by_handle_at, __NR_name_to_handle_at,                       /* files by handle */
};
#define DENIED ((uint32_t)(sizeof denied / sizeof denied[0]))

/* Where the shared answers sit, after the checks (see the layout in build_default_filter). */
#define AT_FLAGS  (DENIED + 8)
#define AT_EPERM  (DENIED + 11)
#define AT_ENOSYS (DENIED + 12)
#define AT_KILL   (DENIED + 13)
#define LENGTH    (DENIED + 14)

static struct sock_filter program[LENGTH];
static uint32_t emitted;

static void emit(uint16_t code, uint32_t k, uint32_t jt_to, uint32_t jf_to)
{
    /* Targets are absolute; cBPF jumps are relative to the next instruction (0: fall through). */
    uint32_t next = emitted + 1;
    program[emitted++] = (struct sock_filter){code, (uint8_t)(jt_to ? jt_to - next : 0),
                                              (uint8_t)(jf_to ? jf_to - next : 0), k};
}

/*
 * Layout:  arch check (kill anything but x86-64), x32 numbers (kill), one JEQ per denied call,
 * clone3 (ENOSYS: its flags are in memory a filter cannot read; glibc then falls back to clone),
 * clone and unshare with CLONE_NEWUSER in their first argument (EPERM), allow; then the answers.
 */
static void build_default_filter(void)
{
    emitted = 0;
    emit(BPF_LD_W_ABS, DATA_ARCH, 0, 0);
    emit(BPF_JEQ_K, AUDIT_ARCH_X86_64, 0, AT_KILL);
    emit(BPF_LD_W_ABS, DATA_NR, 0, 0);
    emit(BPF_JGE_K, X32_SYSCALL_BIT, AT_KILL, 0);
    for (uint32_t i = 0; i < DENIED; i++)
        emit(BPF_JEQ_K, denied[i], AT_EPERM, 0);
    emit(BPF_JEQ_K, __NR_clone3, AT_ENOSYS, 0);
    emit(BPF_JEQ_K, __NR_clone, AT_FLAGS, 0);
    emit(BPF_JEQ_K, __NR_unshare, AT_FLAGS, 0);
    emit(BPF_RET_K, SECCOMP_RET_ALLOW, 0, 0);
    emit(BPF_LD_W_ABS, DATA_ARG0_LO, 0, 0);            /* AT_FLAGS: the clone flags are 32 bits */
    emit(BPF_JSET_K, CLONE_NEWUSER, AT_EPERM, 0);
    emit(BPF_RET_K, SECCOMP_RET_ALLOW, 0, 0);
    emit(BPF_RET_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);  /* AT_EPERM */
    emit(BPF_RET_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0); /* AT_ENOSYS */
    emit(BPF_RET_K, SECCOMP_RET_KILL_PROCESS, 0, 0);   /* AT_KILL */
}

_Static_assert(DENIED + 14 < 256, "every jump of the default filter must fit in 8 bits");

/* no_new_privs is already set by the init, so no capability is needed to install it. */
void install_default_filter(void)
{
    build_default_filter();
    if (emitted != LENGTH)
        die("seccomp", "default filter has the wrong length", 0);
    struct sock_fprog prog = {(uint16_t)emitted, program};
    check(sys3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), "seccomp", "install the default filter");
}
