/*
 * The Spice image format, version 3, as the restorer reads it (version 2 too: no kernel objects
 * behind descriptors; version 1: no seccomp filters either).
 * docs/image-format.md is the specification; this header and
 * image/src/main/java/dev/spice/image/ImageFormat.java mirror it field by field.
 * All integers are little-endian; every struct is naturally aligned and padded to 8 bytes.
 */
#ifndef SPICE_IMAGE_H
#define SPICE_IMAGE_H

#include <stdint.h>

#define IMG_MAGIC        "SPICEIMG"
#define IMG_VERSION      3u
#define IMG_OLDEST_VERSION 1u   /* version 1: version 2 without the SECCOMP section */
#define IMG_KOBJ_VERSION 3u     /* the first version with fd kinds 3-9 and sections 15-19 */
#define IMG_PAGE_SIZE    4096u
#define IMG_HEADER_SIZE  128u

struct img_header {
    char     magic[8];          /* "SPICEIMG" */
    uint32_t version;           /* IMG_VERSION */
    uint32_t header_size;       /* IMG_HEADER_SIZE */
    uint64_t metadata_offset;   /* 4096: metadata starts on the second page */
    uint64_t metadata_size;     /* bytes of section data */
    uint64_t data_offset;       /* page-aligned start of page data */
    uint64_t data_size;         /* bytes of page data, a multiple of 4096 */
    uint32_t section_count;
    uint32_t metadata_crc32c;   /* CRC32C of [metadata_offset, +metadata_size) */
    uint32_t data_crc32c;       /* CRC32C of [data_offset, +data_size) */
    uint32_t flags;             /* 0 in version 1 */
    uint64_t created_unix_ms;
    uint32_t page_size;         /* 4096 */
    uint32_t machine;           /* ELF e_machine of the process: 62 (x86-64) */
    uint8_t  reserved[44];
    uint32_t header_crc32c;     /* CRC32C of bytes [0, 124) */
};

struct img_section {            /* precedes each section's payload; payload padded to 8 bytes */
    uint32_t type;              /* IMG_SEC_* */
    uint32_t entry_size;        /* size of one entry for array sections, 0 for blobs */
    uint64_t length;            /* payload bytes, without padding */
};

enum {
    IMG_SEC_PROCESS    = 1,     /* one struct img_process */
    IMG_SEC_THREAD     = 2,     /* one per thread: struct img_thread, then xstate_size bytes */
    IMG_SEC_VMAS       = 3,     /* struct img_vma[], sorted by start */
    IMG_SEC_RUNS       = 4,     /* struct img_run[], sorted by start */
    IMG_SEC_FILES      = 5,     /* struct img_file[] */
    IMG_SEC_FDS        = 6,     /* struct img_fd[], sorted by fd */
    IMG_SEC_STRINGS    = 7,     /* NUL-terminated strings; offset 0 is the empty string */
    IMG_SEC_AUXV       = 8,     /* uint64_t pairs (type, value), ending with AT_NULL */
    IMG_SEC_SIGACTIONS = 9,     /* struct img_sigaction[64], index = signal - 1 */
    IMG_SEC_RLIMITS    = 10,    /* struct img_rlimit[16], index = RLIMIT_* */
    IMG_SEC_GROUPS     = 11,    /* uint32_t[] supplementary groups */
    IMG_SEC_WORKSET    = 12,    /* optional: struct img_ws_range[], written ranges first */
    IMG_SEC_WS_DATA    = 13,    /* optional: one struct img_ws_data */
    IMG_SEC_SECCOMP    = 14,    /* version 2, optional: struct img_seccomp_filter + insns, oldest first */
    IMG_SEC_FD_OBJECTS = 15,    /* version 3, optional: struct img_fd_object[] */
    IMG_SEC_EPOLL_TARGETS = 16, /* version 3, optional: struct img_epoll_target[] */
    IMG_SEC_FD_MESSAGES = 17,   /* version 3, optional: struct img_fd_message[] */
    IMG_SEC_FD_DATA    = 18,    /* version 3, optional: the bytes the messages point into */
    IMG_SEC_INOTIFY_WATCHES = 19, /* version 3, optional: struct img_inotify_watch[] */
    IMG_SEC_THREAD_NAMES = 20,  /* optional: struct img_thread_name[], one per named thread */
};

#define IMG_NONE 0xffffffffu    /* "no file" / "no string" */

struct img_itimer { int64_t interval_sec, interval_usec, value_sec, value_usec; };

struct img_process {
    int32_t  pid, ppid, pgid, sid;
    uint32_t uid[4];            /* real, effective, saved, filesystem */
    uint32_t gid[4];
    uint32_t umask;
    uint32_t personality;
    char     comm[16];
    uint32_t cwd;               /* string offset */
    uint32_t exe_file;          /* index into FILES */
    uint64_t start_code, end_code, start_data, end_data;
    uint64_t start_brk, brk, start_stack;
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t sigreturn_gadget;  /* "mov $15,%eax|%rax; syscall" in a clean file mapping, or 0 */
    uint64_t timerslack_ns;
    int32_t  dumpable, pdeath_signal, no_new_privs, child_subreaper;
    int32_t  thp_disable;
    uint32_t thread_count;
    struct img_itimer itimer[3]; /* ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */
};

struct img_thread {
    int32_t  tid;
    uint32_t xstate_size;       /* bytes of XSAVE area that follow this struct */
    uint64_t regs[27];          /* struct user_regs_struct, ready to resume */
    uint64_t sigmask;           /* blocked signals, bit (n-1) for signal n */
    uint64_t altstack_sp, altstack_size;
    uint32_t altstack_flags;
    uint32_t rseq_len;          /* 0: no rseq registration */
    uint64_t rseq_addr;
    uint32_t rseq_sig, rseq_flags;
    uint64_t robust_list, robust_list_len;
    uint64_t clear_child_tid;
    int64_t  restarted_syscall; /* syscall re-issued on resume, or -1 */
};

/* A thread's name (comm): at most 15 bytes, NUL-terminated within the 16. */
struct img_thread_name {
    int32_t  tid;
    uint32_t reserved;
    char     name[16];
};

/* Indices into img_thread.regs, the order of struct user_regs_struct. */
enum { R_R15, R_R14, R_R13, R_R12, R_RBP, R_RBX, R_R11, R_R10, R_R9, R_R8, R_RAX, R_RCX,
       R_RDX, R_RSI, R_RDI, R_ORIG_RAX, R_RIP, R_CS, R_EFLAGS, R_RSP, R_SS, R_FS_BASE,
       R_GS_BASE, R_DS, R_ES, R_FS, R_GS };

enum { VMA_ANON = 1, VMA_FILE = 2, VMA_SHARED_ANON = 3, VMA_VDSO = 4, VMA_VVAR = 5,
       VMA_VVAR_VCLOCK = 6 };
#define VMA_F_SHARED     1u     /* MAP_SHARED */
#define VMA_F_GROWSDOWN  2u     /* MAP_GROWSDOWN (the main stack) */
#define VMA_F_STACK      4u     /* contains start_stack: contents are copied, never mapped */
#define VMA_ADV_DONTDUMP   1u
#define VMA_ADV_DONTFORK   2u
#define VMA_ADV_WIPEONFORK 4u
#define VMA_ADV_HUGEPAGE   8u
#define VMA_ADV_NOHUGEPAGE 16u

struct img_vma {
    uint64_t start, end;
    uint64_t file_offset;       /* offset of start in the backing file */
    uint32_t kind;              /* VMA_* */
    uint32_t prot;              /* PROT_READ|PROT_WRITE|PROT_EXEC */
    uint32_t flags;             /* VMA_F_* */
    uint32_t advice;            /* VMA_ADV_* */
    uint32_t file;              /* index into FILES or IMG_NONE */
    uint32_t name;              /* anonymous mapping name (string offset) or IMG_NONE */
    uint32_t first_run, run_count; /* the pages of this mapping stored in the image */
};

struct img_run {                /* consecutive pages stored consecutively in the image */
    uint64_t start;             /* virtual address */
    uint64_t pages;
    uint64_t data_offset;       /* absolute, page-aligned file offset */
};

#define FILE_CHECK_IDENTITY 1u  /* device and inode must match */
#define FILE_CHECK_CONTENT  2u  /* size and modification time must match too */

struct img_file {
    uint32_t path;              /* string offset */
    uint32_t mode;              /* st_mode */
    uint32_t dev_major, dev_minor;
    uint64_t ino;
    uint64_t size;
    int64_t  mtime_sec;
    uint32_t mtime_nsec;
    uint32_t checks;            /* FILE_CHECK_* */
};

enum { FD_STDIO = 1, FD_FILE = 2, FD_EVENTFD = 3, FD_EPOLL = 4, FD_TIMERFD = 5, FD_SIGNALFD = 6,
       FD_PIPE = 7, FD_UNIX_PAIR = 8, FD_INOTIFY = 9 };
#define FD_FIRST_OBJECT FD_EVENTFD  /* kinds from here on are created from a struct img_fd_object */

struct img_fd {
    int32_t  fd;
    uint32_t kind;              /* FD_* */
    uint32_t flags;             /* open(2) flags, O_CLOEXEC and O_NONBLOCK included */
    uint32_t file;              /* index into FILES (FD_FILE) or FD_OBJECTS (kinds 3-9) */
    int64_t  pos;               /* FD_FILE: offset; FD_PIPE, FD_UNIX_PAIR: end 0 or 1 */
};

/* A kernel object behind descriptors of kinds 3-9; the spec gives each field's meaning per kind. */
#define OBJ_EVENTFD_SEMAPHORE 1u    /* flags of an eventfd: EFD_SEMAPHORE */
#define OBJ_TIMER_ABSTIME     1u    /* flags of a timerfd: TFD_TIMER_ABSTIME */
#define OBJ_TIMER_CANCEL_ON_SET 2u  /* TFD_TIMER_CANCEL_ON_SET */
#define OBJ_UNIX_SHUTDOWN_MASK 0x303u /* flags of a socket pair: end 0 in bits 0-1, end 1 in bits 8-9 */
#define OBJ_PIPE_MIN 4096u
#define OBJ_PIPE_MAX (1u << 28)
struct img_fd_object {
    uint32_t kind;              /* FD_* (3-9) */
    uint32_t flags;
    uint32_t param;             /* timerfd: clock id; pipe: capacity; socket pair: socket type */
    uint32_t first, count;      /* its epoll targets, messages or inotify watches */
    uint32_t reserved;
    uint64_t value;             /* eventfd: counter; timerfd: ns to expiry; signalfd: mask */
    uint64_t interval;          /* timerfd: period in ns */
    uint64_t ticks;             /* timerfd: expirations not read yet */
};

struct img_epoll_target {       /* packed like struct epoll_event would be, but naturally aligned */
    int32_t  fd;                /* the registered descriptor */
    uint32_t events;            /* EPOLLIN... with EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE */
    uint64_t data;              /* what epoll_wait hands back */
};

struct img_fd_message {         /* bytes queued for one end of a pipe or socket pair */
    uint32_t end;               /* the receiving end: 0 or 1 */
    uint32_t reserved;
    uint64_t offset;            /* into the FD_DATA payload */
    uint64_t length;
};

struct img_inotify_watch {
    int32_t  wd;                /* the watch descriptor the process knows */
    uint32_t mask;              /* IN_* */
    uint32_t file;              /* index into FILES: the watched path */
    uint32_t reserved;
};

/* The working set: pages the first invocation after a restore touched (see the spec). */
#define WS_WRITTEN 1u           /* the invocation wrote them: copied ahead of time */
struct img_ws_range {
    uint64_t start;
    uint64_t pages;
    uint32_t flags;             /* WS_* */
    uint32_t reserved;
};

/* Where the working set's stored pages lie in the image: one contiguous range. */
struct img_ws_data { uint64_t offset, bytes; };

/* A seccomp filter: this header, then insn_count struct sock_filter (8 bytes each). */
#define IMG_SECCOMP_MAX_INSNS   4096u   /* BPF_MAXINSNS */
#define IMG_SECCOMP_MAX_PATH    32768u  /* MAX_INSNS_PER_PATH: all filters, 4 more for each */
#define IMG_SECCOMP_FLAGS       6u      /* SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW */
struct img_seccomp_filter {
    uint32_t flags;             /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
    uint32_t insn_count;        /* 1..IMG_SECCOMP_MAX_INSNS */
};

struct img_sigaction { uint64_t handler, flags, restorer, mask; };
struct img_rlimit { uint64_t cur, max; };

#define IMG_SIGNALS 64
#define IMG_RLIMITS 16

_Static_assert(sizeof(struct img_header) == IMG_HEADER_SIZE, "img_header layout");
_Static_assert(sizeof(struct img_section) == 16, "img_section layout");
_Static_assert(sizeof(struct img_process) == 304, "img_process layout");
_Static_assert(sizeof(struct img_thread) == 304, "img_thread layout");
_Static_assert(sizeof(struct img_vma) == 56, "img_vma layout");
_Static_assert(sizeof(struct img_run) == 24, "img_run layout");
_Static_assert(sizeof(struct img_file) == 48, "img_file layout");
_Static_assert(sizeof(struct img_fd) == 24, "img_fd layout");
_Static_assert(sizeof(struct img_sigaction) == 32, "img_sigaction layout");
_Static_assert(sizeof(struct img_ws_range) == 24, "img_ws_range layout");
_Static_assert(sizeof(struct img_thread_name) == 24, "img_thread_name layout");
_Static_assert(sizeof(struct img_ws_data) == 16, "img_ws_data layout");
_Static_assert(sizeof(struct img_seccomp_filter) == 8, "img_seccomp_filter layout");
_Static_assert(sizeof(struct img_fd_object) == 48, "img_fd_object layout");
_Static_assert(sizeof(struct img_epoll_target) == 16, "img_epoll_target layout");
_Static_assert(sizeof(struct img_fd_message) == 24, "img_fd_message layout");
_Static_assert(sizeof(struct img_inotify_watch) == 16, "img_inotify_watch layout");

#endif
