package dev.spice.image;

import java.util.List;

/** The records of an image, one per metadata entry; field meanings are in docs/image-format.md. */
public final class Records {
    private Records() {}

    public record MmLayout(long startCode, long endCode, long startData, long endData, long startBrk,
            long brk, long startStack, long argStart, long argEnd, long envStart, long envEnd) {}

    public record Itimer(long intervalSec, long intervalUsec, long valueSec, long valueUsec) {
        public static final Itimer NONE = new Itimer(0, 0, 0, 0);

        public boolean armed() {
            return valueSec != 0 || valueUsec != 0;
        }
    }

    /** uid and gid hold real, effective, saved and filesystem ids. */
    public record ProcessRecord(int pid, int ppid, int pgid, int sid, int[] uid, int[] gid, int umask,
            int personality, String comm, String cwd, int exeFile, MmLayout mm, long sigreturnGadget,
            long timerslackNs, int dumpable, int pdeathSignal, boolean noNewPrivs,
            boolean childSubreaper, boolean thpDisable, int threadCount, List<Itimer> itimers) {}

    /** regs are ready to resume (a restarted syscall is already rewound). */
    public record ThreadRecord(int tid, long[] regs, long sigmask, long altstackSp, long altstackSize,
            int altstackFlags, long rseqAddr, int rseqLen, int rseqSig, int rseqFlags, long robustList,
            long robustListLen, long clearChildTid, long restartedSyscall, byte[] xstate, String name) {}

    /**
     * A mapping; firstRun and runCount select its stored pages in the run table. file is an index
     * into the file table or {@link ImageFormat#NONE}; name is an anonymous mapping's name or null.
     */
    public record VmaRecord(long start, long end, long fileOffset, VmaKind kind, int prot, int flags,
            int advice, int file, String name, int firstRun, int runCount) {
        public long size() {
            return end - start;
        }

        public boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    /** {@code pages} pages from virtual address {@code start}, stored at file offset {@code dataOffset}. */
    public record PageRun(long start, long pages, long dataOffset) {
        public long bytes() {
            return pages * ImageFormat.PAGE_SIZE;
        }
    }

    public record FileRecord(String path, int mode, int devMajor, int devMinor, long inode, long size,
            long mtimeSec, int mtimeNsec, int checks) {}

    /** Kinds 3-9 (version 3) name an {@link FdObject} through {@link FdRecord#file()}. */
    public enum FdKind {
        STDIO(1), FILE(2), EVENTFD(3), EPOLL(4), TIMERFD(5), SIGNALFD(6), PIPE(7), UNIX_PAIR(8), INOTIFY(9);

        private final int code;

        FdKind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static FdKind of(int code) {
            for (FdKind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new ImageFormatException("unknown file descriptor kind " + code);
        }

        /** Whether descriptors of this kind are created from an {@link FdObject}. */
        public boolean isObject() {
            return code >= EVENTFD.code;
        }

        /** Whether an object of this kind has two ends, each named by one descriptor. */
        public boolean isPair() {
            return this == PIPE || this == UNIX_PAIR;
        }
    }

    /**
     * file is an index into the file table for {@link FdKind#FILE}, into the kernel objects for kinds
     * 3-9, else {@link ImageFormat#NONE}; pos is a file's offset, or which end of a pair this is.
     */
    public record FdRecord(int fd, FdKind kind, int flags, int file, long pos) {}

    /**
     * A kernel object behind a descriptor (docs/image-format.md, "fd_object"): the meaning of
     * flags, param, value, interval and ticks depends on the kind; first and count select its
     * epoll targets, buffered messages or inotify watches.
     */
    public record FdObject(FdKind kind, int flags, int param, int first, int count, long value, long interval,
            long ticks) {}

    /** A registration of an epoll object: the descriptor, its event mask with flags, and the data cookie. */
    public record EpollTarget(int fd, int events, long data) {}

    /** Bytes buffered for {@code end} of a pipe or socket pair, at {@code offset} in the FD_DATA section. */
    public record FdMessage(int end, long offset, long length) {}

    /** An inotify watch: its descriptor, event mask and the watched file (a file table index). */
    public record InotifyWatch(int wd, int mask, int file) {}

    /** Everything the descriptors of kinds 3-9 refer to; {@link #NONE} for an image without them. */
    public record KernelObjects(List<FdObject> objects, List<EpollTarget> epollTargets, List<FdMessage> messages,
            byte[] data, List<InotifyWatch> watches) {
        public static final KernelObjects NONE = new KernelObjects(List.of(), List.of(), List.of(), new byte[0],
                List.of());

        public boolean isEmpty() {
            return objects.isEmpty();
        }

        public <T> List<T> of(FdObject o, List<T> table) {
            return table.subList(o.first(), o.first() + o.count());
        }
    }

    public record Sigaction(long handler, long flags, long restorer, long mask) {
        public static final Sigaction DEFAULT = new Sigaction(0, 0, 0, 0);
    }

    public record Rlimit(long cur, long max) {}

    /**
     * A seccomp filter: its SECCOMP_FILTER_FLAG_* flags and its program, the {@code struct sock_filter}
     * array as the kernel returns it (8 bytes an instruction).
     */
    public record SeccompFilter(int flags, byte[] program) {
        public int instructions() {
            return program.length / ImageFormat.SECCOMP_INSN_SIZE;
        }
    }

    /** Pages the first invocation after a restore touched; written ones are copied ahead of time. */
    public record WsRange(long start, long pages, int flags) {
        public boolean written() {
            return (flags & ImageFormat.WS_WRITTEN) != 0;
        }

        public long end() {
            return start + pages * ImageFormat.PAGE_SIZE;
        }
    }

    /**
     * The recorded working set, and where its stored pages lie in the image (one contiguous range
     * that a cold restore reads in one go). {@link #NONE} for an image without one.
     */
    public record WorkingSet(List<WsRange> ranges, long dataOffset, long dataBytes) {
        public static final WorkingSet NONE = new WorkingSet(List.of(), 0, 0);

        public boolean isEmpty() {
            return ranges.isEmpty();
        }

        public long pages() {
            return ranges.stream().mapToLong(WsRange::pages).sum();
        }
    }
}
