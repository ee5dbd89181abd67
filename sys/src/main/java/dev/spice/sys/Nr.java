package dev.spice.sys;

/** x86-64 system call numbers used from Java (the injected ones are listed in capture). */
public final class Nr {
    public static final long READ = 0;
    public static final long WRITE = 1;
    public static final long CLOSE = 3;
    public static final long POLL = 7;
    public static final long LSEEK = 8;
    public static final long MMAP = 9;
    public static final long SHUTDOWN = 48;
    public static final long SOCKETPAIR = 53;
    public static final long SENDMSG = 46;
    public static final long MPROTECT = 10;
    public static final long MADVISE = 28;
    public static final long MUNMAP = 11;
    public static final long BRK = 12;
    public static final long RT_SIGACTION = 13;
    public static final long PREAD64 = 17;
    public static final long GETITIMER = 36;
    public static final long FADVISE64 = 221;
    public static final long OPENAT = 257;
    public static final long GETPID = 39;
    public static final long GETPPID = 110;
    public static final long KILL = 62;
    public static final long WAIT4 = 61;
    public static final long PTRACE = 101;
    public static final long SIGALTSTACK = 131;
    public static final long PRCTL = 157;
    public static final long GETTID = 186;
    public static final long TKILL = 200;
    public static final long GET_ROBUST_LIST = 274;
    public static final long PIPE2 = 293;
    public static final long PRLIMIT64 = 302;
    public static final long PROCESS_VM_READV = 310;
    public static final long PROCESS_VM_WRITEV = 311;
    public static final long STATX = 332;
    public static final long PIDFD_OPEN = 434;
    public static final long PIDFD_SEND_SIGNAL = 424;
    public static final long PIDFD_GETFD = 438;
    public static final long IOCTL = 16;
    public static final long SOCKET = 41;
    public static final long SENDTO = 44;
    public static final long RECVFROM = 45;
    public static final long RECVMSG = 47;
    public static final long SETSOCKOPT = 54;
    public static final long GETSOCKOPT = 55;
    public static final long FCNTL = 72;
    public static final long TEE = 276;
    public static final long TIMERFD_GETTIME = 287;
    public static final long OPEN_BY_HANDLE_AT = 304;
    public static final long SETNS = 308;
    public static final long KCMP = 312;

    private Nr() {}
}
