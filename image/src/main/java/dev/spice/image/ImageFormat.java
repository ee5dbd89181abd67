package dev.spice.image;

/**
 * Constants of the Spice image format, version 3. docs/image-format.md is the specification;
 * restore/src/main/c/image.h mirrors these values for the restorer.
 */
public final class ImageFormat {
    public static final byte[] MAGIC = {'S', 'P', 'I', 'C', 'E', 'I', 'M', 'G'};
    public static final int VERSION = 3;
    /** Version 1 is version 2 without seccomp filters; version 2 is version 3 without kernel objects. */
    public static final int OLDEST_READABLE_VERSION = 1;
    public static final int PAGE_SIZE = 4096;
    public static final int HEADER_SIZE = 128;
    public static final int HEADER_CRC_OFFSET = 124;
    public static final int METADATA_OFFSET = PAGE_SIZE;
    public static final int SECTION_HEADER_SIZE = 16;
    public static final int MACHINE_X86_64 = 62;
    /** The end of x86-64 user space with 5-level paging: no mapping of an image lies above it. */
    public static final long USER_SPACE_END = 1L << 56;
    /** "No file" and "no string" in 32-bit index fields. */
    public static final int NONE = -1;

    public static final int SEC_PROCESS = 1, SEC_THREAD = 2, SEC_VMAS = 3, SEC_RUNS = 4, SEC_FILES = 5,
            SEC_FDS = 6, SEC_STRINGS = 7, SEC_AUXV = 8, SEC_SIGACTIONS = 9, SEC_RLIMITS = 10,
            SEC_GROUPS = 11, SEC_WORKSET = 12, SEC_WS_DATA = 13, SEC_SECCOMP = 14,
            SEC_FD_OBJECTS = 15, SEC_EPOLL_TARGETS = 16, SEC_FD_MESSAGES = 17, SEC_FD_DATA = 18,
            SEC_INOTIFY_WATCHES = 19, SEC_THREAD_NAMES = 20;
    /** The first version with descriptors of kernel objects (fd kinds 3-9, sections 15-19). */
    public static final int KERNEL_OBJECTS_VERSION = 3;

    public static final int PROCESS_SIZE = 304, THREAD_SIZE = 304, VMA_SIZE = 56, RUN_SIZE = 24,
            FILE_SIZE = 48, FD_SIZE = 24, SIGACTION_SIZE = 32, RLIMIT_SIZE = 16, WS_RANGE_SIZE = 24,
            WS_DATA_SIZE = 16, FD_OBJECT_SIZE = 48, EPOLL_TARGET_SIZE = 16, FD_MESSAGE_SIZE = 24,
            INOTIFY_WATCH_SIZE = 16, THREAD_NAME_SIZE = 24;
    /** The longest process or thread name (comm) in bytes: the kernel's TASK_COMM_LEN less its NUL. */
    public static final int THREAD_NAME_MAX = 15;
    /** eventfd: EFD_SEMAPHORE. timerfd: TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET. */
    public static final int EVENTFD_SEMAPHORE = 1, TIMER_ABSTIME = 1, TIMER_CANCEL_ON_SET = 2;
    /** Clock ids a timerfd may use: REALTIME, MONOTONIC, BOOTTIME, REALTIME_ALARM, BOOTTIME_ALARM. */
    public static final java.util.Set<Integer> TIMERFD_CLOCKS = java.util.Set.of(0, 1, 7, 8, 9);
    /** Socket types of a Unix socket pair: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET. */
    public static final java.util.Set<Integer> UNIX_TYPES = java.util.Set.of(1, 2, 5);
    /** Shutdown bits of one end (1 no receiving, 2 no sending); end 1's are shifted by 8. */
    public static final int UNIX_SHUTDOWN_MASK = 0x303;
    public static final int PIPE_MIN_CAPACITY = 4096, PIPE_MAX_CAPACITY = 1 << 28;
    public static final int WS_WRITTEN = 1;
    /** A seccomp filter entry: u32 flags, u32 instruction count, then 8-byte instructions. */
    public static final int SECCOMP_FILTER_HEADER = 8, SECCOMP_INSN_SIZE = 8;
    /** The kernel's limits: BPF_MAXINSNS per filter, MAX_INSNS_PER_PATH for all (each filter costs 4 more). */
    public static final int SECCOMP_MAX_INSNS = 4096, SECCOMP_MAX_PATH = 32768, SECCOMP_FILTER_PENALTY = 4;
    /** Filter flags an image may hold: SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW. */
    public static final int SECCOMP_FLAG_LOG = 2, SECCOMP_FLAG_SPEC_ALLOW = 4;
    public static final int SIGNALS = 64, RLIMITS = 16;

    public static final int VMA_F_SHARED = 1, VMA_F_GROWSDOWN = 2, VMA_F_STACK = 4;
    public static final int ADV_DONTDUMP = 1, ADV_DONTFORK = 2, ADV_WIPEONFORK = 4, ADV_HUGEPAGE = 8,
            ADV_NOHUGEPAGE = 16;
    public static final int CHECK_IDENTITY = 1, CHECK_CONTENT = 2;

    private ImageFormat() {}
}
