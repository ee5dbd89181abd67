/*
 * The little of the kernel ABI the restorer needs: raw system calls and the constants and
 * structures they take. No libc: the restorer runs where no C library is set up.
 */
#ifndef SPICE_SYS_H
#define SPICE_SYS_H

#include <stdint.h>
#include <stddef.h>
#include <asm/unistd.h>

/* One inline `syscall` instruction; the kernel clobbers rcx and r11 and returns in rax. */
static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define sys0(n)                sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a)             sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b)          sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c)       sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d)    sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* Raw syscalls return -errno in [-4095, -1]. */
#define IS_ERR(r) ((unsigned long)(r) >= (unsigned long)-4095)

/* open(2) */
#define O_RDONLY    00
#define O_WRONLY    01
#define O_RDWR      02
#define O_ACCMODE   03
#define O_CREAT     0100
#define O_EXCL      0200
#define O_NOCTTY    0400
#define O_TRUNC     01000
#define O_DIRECTORY 0200000
#define O_CLOEXEC   02000000
#define O_PATH      010000000
#define AT_FDCWD    -100
#define O_NONBLOCK  04000
#define O_DIRECT    040000
#define F_DUPFD_CLOEXEC 1030
#define F_SETFL     4
#define F_SETPIPE_SZ 1031
#define F_SETFD     2
#define FD_CLOEXEC  1
#define SEEK_SET    0

/* mmap(2), mremap(2), madvise(2) */
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4
#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x0100
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED   2
#define MADV_RANDOM     1
#define MADV_DONTFORK   10
#define MADV_HUGEPAGE   14
#define MADV_NOHUGEPAGE 15
#define MADV_DONTDUMP   16
#define MADV_DODUMP     17
#define MADV_WIPEONFORK 18
#define POSIX_FADV_RANDOM 1    /* fadvise64: read exactly what is asked, no readahead */
#define MADV_POPULATE_READ  22
#define MADV_POPULATE_WRITE 23

/* clone3(2) */
#define CLONE_NEWNS  0x00020000
#define CLONE_NEWPID 0x20000000
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWNET  0x40000000
#define SIGCHLD 17
struct clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    uint64_t set_tid, set_tid_size, cgroup;
};

/* mount(2) */
#define MS_NOSUID  2
#define MS_NODEV   4
#define MS_NOEXEC  8
#define MS_REC     16384
#define MS_PRIVATE (1 << 18)
#define MS_BIND    4096
#define MNT_DETACH 2       /* umount2(2) */

/* prctl(2), arch_prctl(2) */
#define PR_SET_PDEATHSIG       1
#define PR_SET_DUMPABLE        4
#define PR_SET_NAME            15
#define PR_SET_TIMERSLACK      29
#define PR_SET_MM              35
#define PR_SET_CHILD_SUBREAPER 36
#define PR_SET_NO_NEW_PRIVS    38
#define PR_SET_THP_DISABLE     41
#define PR_SET_MM_MAP          14
#define PR_SET_VMA             0x53564d41
#define PR_SET_VMA_ANON_NAME   0
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002

struct prctl_mm_map {
    uint64_t start_code, end_code, start_data, end_data;
    uint64_t start_brk, brk, start_stack;
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t *auxv;
    uint32_t auxv_size;
    uint32_t exe_fd;
};

/* wait4(2) */
#define __WALL 0x40000000
#define WIFEXITED(s)   (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s)    ((s) & 0x7f)

/* fstat(2) on x86-64 */
struct kstat {
    uint64_t st_dev, st_ino, st_nlink;
    uint32_t st_mode, st_uid, st_gid, pad0;
    uint64_t st_rdev;
    int64_t  st_size, st_blksize, st_blocks;
    uint64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
    int64_t  unused[3];
};
/* The kernel's new_encode_dev() split of a dev_t. */
#define DEV_MAJOR(d) ((uint32_t)(((d) >> 8) & 0xfff) | (uint32_t)(((d) >> 32) & ~0xfffu))
#define DEV_MINOR(d) ((uint32_t)((d) & 0xff) | (uint32_t)(((d) >> 12) & ~0xffu))

/* cachestat(2), Linux 6.5: how much of a file range is in the page cache */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
struct cachestat_range { uint64_t off, len; };
struct cachestat { uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };

struct timespec_k { int64_t sec, nsec; };
#define CLOCK_MONOTONIC 1

/* rt_sigaction(2): the kernel's struct sigaction on x86-64 */
struct ksigaction { uint64_t handler, flags, restorer, mask; };
struct kstack { uint64_t sp; int32_t flags; int32_t pad; uint64_t size; };
struct kitimerval { int64_t interval_sec, interval_usec, value_sec, value_usec; };
#define SS_ONSTACK 1
#define SS_DISABLE 2

/* Kernel objects behind descriptors (fdobjects.c and its units) */
#define EFD_SEMAPHORE   1
#define EPOLL_CTL_ADD   1
struct epoll_event_k { uint32_t events; uint64_t data; } __attribute__((packed)); /* x86-64 packs it */
struct itimerspec_k { struct timespec_k interval, value; };
#define TFD_TIMER_ABSTIME 1
#define TFD_IOC_SET_TICKS 0x40085400ul  /* _IOW('T', 0, u64): CONFIG_CHECKPOINT_RESTORE */
#define AF_UNIX       1
#define SOCK_STREAM   1
#define SOCK_CLOEXEC  O_CLOEXEC
#define MSG_DONTWAIT  0x40
#define MSG_NOSIGNAL  0x4000
#define INOTIFY_MAX_WD_STEPS 65536     /* how many watches inotify.c may add and remove to reach a wd */

/* The rt_sigreturn frame of x86-64 (arch/x86/include/asm/sigframe.h, uapi sigcontext.h). */
struct sigcontext64 {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;           /* address of the XSAVE area, 64-byte aligned */
    uint64_t reserved1[8];
};
struct ucontext64 {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct kstack uc_stack;
    struct sigcontext64 uc_mcontext;
    uint64_t uc_sigmask;
};
struct rt_sigframe64 {
    uint64_t pretcode;          /* the return address a handler would `ret` to; unused here */
    struct ucontext64 uc;
    uint8_t info[128];          /* siginfo_t */
};
#define UC_FP_XSTATE         0x1
#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4
/* Software-reserved bytes 464..511 of the XSAVE legacy area tell sigreturn the extended layout. */
#define FPX_SW_OFFSET      464
#define FP_XSTATE_MAGIC1   0x46505853u
#define FP_XSTATE_MAGIC2   0x46505845u
struct fpx_sw_bytes { uint32_t magic1, extended_size; uint64_t xfeatures; uint32_t xstate_size, padding[7]; };

/* recvmsg(2) with SCM_RIGHTS: the zygote's command socket carries the engine's pinned files */
struct iovec_k { void *base; size_t len; };
struct msghdr_k {
    void *name; uint32_t namelen, pad;
    struct iovec_k *iov; size_t iovlen;
    void *control; size_t controllen;
    int flags;
};
struct cmsghdr_k { size_t len; int level, type; };   /* then the data, padded to 8 bytes */
#define SOL_SOCKET       1
#define SCM_RIGHTS       1
#define MSG_CTRUNC       0x8
#define MSG_CMSG_CLOEXEC 0x40000000

#endif
