package dev.spice.capture;

import dev.spice.image.ImageFormat;
import dev.spice.image.Records.EpollTarget;
import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdMessage;
import dev.spice.image.Records.FdObject;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.InotifyWatch;
import dev.spice.image.Records.KernelObjects;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.FdPeek;
import dev.spice.sys.FileStat;
import dev.spice.sys.Fds;
import dev.spice.sys.Kcmp;
import dev.spice.sys.Pidfd;
import dev.spice.sys.UnixDiag;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Records the kernel objects behind descriptors (docs/image-format.md, "fd_object"): eventfds,
 * epolls, timerfds, signalfds, inotify instances, and pipes and Unix socket pairs whose two ends
 * are both descriptors of the process, with their buffered bytes. State that fdinfo does not show
 * is read through copies of the descriptors (pidfd_getfd), by operations that consume nothing.
 */
final class KernelObjectReader implements AutoCloseable {
    private static final int O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_DIRECT = 040000, SOCK_STREAM = 1;

    /** One descriptor of the process as /proc shows it. */
    record FdView(int fd, String link, FileStat stat, int flags, long pos) {}

    private final int pid;
    private final Pidfd pidfd;
    private final FileTable files;
    private final InotifyPaths inotifyPaths;
    private final Map<Integer, FdView> views;
    private final List<FdObject> objects = new ArrayList<>();
    private final List<EpollTarget> epollTargets = new ArrayList<>();
    private final List<FdMessage> messages = new ArrayList<>();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private final List<InotifyWatch> watches = new ArrayList<>();
    /** The object of each pipe or socket pair by the inode of its first end, and that end's number. */
    private final Map<Long, int[]> pairs = new HashMap<>();
    private final List<FdView> objectFds = new ArrayList<>();

    KernelObjectReader(int pid, FileTable files, Map<Integer, FdView> views) {
        this.pid = pid;
        this.files = files;
        this.views = views;
        this.pidfd = Pidfd.open(pid);
        this.inotifyPaths = new InotifyPaths(pid);
    }

    /** The kind of object behind a descriptor beyond 0-2, or null if it is none of them. */
    static FdKind kindOf(FdView v) {
        String link = v.link();
        if (link.equals("anon_inode:[eventfd]")) {
            return FdKind.EVENTFD;
        } else if (link.equals("anon_inode:[eventpoll]")) {
            return FdKind.EPOLL;
        } else if (link.equals("anon_inode:[timerfd]")) {
            return FdKind.TIMERFD;
        } else if (link.equals("anon_inode:[signalfd]")) {
            return FdKind.SIGNALFD;
        } else if (link.equals("anon_inode:inotify")) {
            return FdKind.INOTIFY;
        } else if (link.startsWith("pipe:[") && v.stat().type() == FileStat.S_IFIFO) {
            return FdKind.PIPE;
        } else if (link.startsWith("socket:[") && v.stat().type() == FileStat.S_IFSOCK) {
            return FdKind.UNIX_PAIR;
        }
        return null;
    }

    /** Records descriptor {@code v} of {@code kind} and the object behind it (once per object). */
    FdRecord add(FdView v, FdKind kind) {
        refuseDuplicate(v);
        // A pipe's read end is end 0 and its write end end 1; a socket pair's end 0 is the end met first.
        int end = kind == FdKind.PIPE && (v.flags() & O_ACCMODE) != O_RDONLY ? 1 : 0;
        int[] known = kind.isPair() ? pairs.get(v.stat().inode()) : null;
        if (known != null) {                           // the other end of a pair met before
            return new FdRecord(v.fd(), kind, v.flags(), known[0], kind == FdKind.PIPE ? end : 1);
        }
        String text = fdinfo(v.fd());
        int index = objects.size();
        FdObject object = switch (kind) {
            case EVENTFD -> new FdObject(kind, field(text, "eventfd-semaphore", 10) != 0
                    ? ImageFormat.EVENTFD_SEMAPHORE : 0, 0, 0, 0, field(text, "eventfd-count", 16), 0, 0);
            case SIGNALFD -> new FdObject(kind, 0, 0, 0, 0, field(text, "sigmask", 16), 0, 0);
            case TIMERFD -> timer(v);
            case EPOLL -> epoll(v, text);
            case INOTIFY -> inotify(v, text);
            case PIPE -> pipe(v);
            case UNIX_PAIR -> unixPair(v);
            default -> throw new IllegalArgumentException(kind.toString());
        };
        objects.add(object);
        return new FdRecord(v.fd(), kind, v.flags(), index, end);
    }

    KernelObjects objects() {
        return objects.isEmpty() ? KernelObjects.NONE
                : new KernelObjects(List.copyOf(objects), List.copyOf(epollTargets), List.copyOf(messages),
                        data.toByteArray(), List.copyOf(watches));
    }

    /** Two descriptors of one open file (dup) would be restored as two: refused. */
    private void refuseDuplicate(FdView v) {
        for (FdView other : objectFds) {
            if (other.link().equals(v.link()) && Kcmp.sameFile(pid, other.fd(), v.fd())) {
                throw new CaptureRefusedException("fd " + v.fd() + " (" + v.link() + ") is a duplicate of fd "
                        + other.fd() + " (dup); shared open files of kernel objects are not supported");
            }
        }
        objectFds.add(v);
    }

    /**
     * timerfd_gettime on a copy first: for an interval timer that expired it moves the expiry on and
     * counts the expirations, as the owner's next read or gettime would, so fdinfo's ticks and the
     * remaining time are current.
     */
    private FdObject timer(FdView v) {
        long[] timer = withCopy(v.fd(), FdPeek::timerfdGettime);
        String text = fdinfo(v.fd());
        int clock = (int) field(text, "clockid", 10);
        int flags = (int) field(text, "settime flags", 8);
        if (!ImageFormat.TIMERFD_CLOCKS.contains(clock)) {
            throw new CaptureRefusedException("fd " + v.fd() + " is a timerfd on clock " + clock + ", which is not supported");
        }
        return new FdObject(FdKind.TIMERFD, flags & (ImageFormat.TIMER_ABSTIME | ImageFormat.TIMER_CANCEL_ON_SET),
                clock, 0, 0, timer[0], timer[1], field(text, "ticks", 10));
    }

    /** Its registrations from fdinfo ("tfd: N events: HEX data: HEX"), each checked to name the file it registered. */
    private FdObject epoll(FdView v, String text) {
        int first = epollTargets.size();
        Set<Integer> seen = new HashSet<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith("tfd:")) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            int tfd = Integer.parseInt(f[1]);
            int events = Integer.parseUnsignedInt(f[3], 16);
            long data = Long.parseUnsignedLong(f[5], 16);
            if (!views.containsKey(tfd) || !Kcmp.registeredAs(pid, v.fd(), tfd)) {
                throw new CaptureRefusedException("epoll fd " + v.fd() + " watches a file registered as fd " + tfd
                        + ", which was closed or replaced since; such a registration cannot be restored");
            }
            if (!seen.add(tfd)) {
                throw new CaptureRefusedException("epoll fd " + v.fd() + " has two registrations for fd " + tfd);
            }
            epollTargets.add(new EpollTarget(tfd, events, data));
        }
        return new FdObject(FdKind.EPOLL, 0, 0, first, epollTargets.size() - first, 0, 0, 0);
    }

    /**
     * Its watches from fdinfo ("inotify wd:HEX ino:HEX sdev:HEX mask:HEX ... fhandle-bytes:HEX
     * fhandle-type:HEX f_handle:HEX"), each resolved to a path; unread events cannot be put back.
     */
    private FdObject inotify(FdView v, String text) {
        int unread = withCopy(v.fd(), FdPeek::queued);
        if (unread > 0) {
            throw new CaptureRefusedException("inotify fd " + v.fd() + " has " + unread
                    + " bytes of unread events, which cannot be restored");
        }
        int first = watches.size();
        List<InotifyWatch> found = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith("inotify wd:")) {
                continue;
            }
            Map<String, String> f = new HashMap<>();
            for (String part : line.substring("inotify ".length()).trim().split("\\s+")) {
                int colon = part.indexOf(':');
                f.put(part.substring(0, colon), part.substring(colon + 1));
            }
            int wd = Integer.parseInt(f.get("wd"), 16);
            if (!f.containsKey("f_handle")) {
                throw new CaptureRefusedException("inotify fd " + v.fd() + " watches a file on a file system without "
                        + "file handles (wd " + wd + "), which cannot be named for a restore");
            }
            int watched = inotifyPaths.open(v.fd(), Long.parseLong(f.get("sdev"), 16),
                    Integer.parseInt(f.get("fhandle-type"), 16), f.get("f_handle"));
            int file;
            try {
                String procLink = "/proc/self/fd/" + watched;
                file = files.add("inotify fd " + v.fd() + " watch " + wd + ":", InotifyPaths.pathOf(procLink),
                        procLink, false);
            } finally {
                Fds.close(watched);
            }
            found.add(new InotifyWatch(wd, Integer.parseUnsignedInt(f.get("mask"), 16), file));
        }
        found.sort((a, b) -> Integer.compare(a.wd(), b.wd()));
        watches.addAll(found);
        return new FdObject(FdKind.INOTIFY, 0, 0, first, found.size(), 0, 0, 0);
    }

    /** A pipe whose other end is another descriptor of the process; met at its read or write end first. */
    private FdObject pipe(FdView v) {
        FdView other = otherEnd(v, views.values().stream()
                .filter(o -> o.fd() > 2 && o.fd() != v.fd() && o.link().equals(v.link())).toList());
        FdView read = (v.flags() & O_ACCMODE) == O_RDONLY ? v : other, write = read == v ? other : v;
        if ((read.flags() & O_ACCMODE) != O_RDONLY || (write.flags() & O_ACCMODE) != O_WRONLY) {
            throw new CaptureRefusedException("fd " + v.fd() + " (" + v.link() + ") and fd " + other.fd()
                    + " are not one read and one write end of a pipe");
        }
        if (((read.flags() | write.flags()) & O_DIRECT) != 0) {
            throw new CaptureRefusedException("fd " + v.fd() + " (" + v.link() + ") is a packet-mode pipe (O_DIRECT), "
                    + "which is not supported");
        }
        pairs.put(v.stat().inode(), new int[] {objects.size()});
        int copy = pidfd.copy(read.fd());
        try {
            int capacity = FdPeek.pipeCapacity(copy);
            byte[] content = FdPeek.pipeContent(copy, capacity);
            int first = messages.size();
            addMessage(0, content);
            return new FdObject(FdKind.PIPE, 0, capacity, first, messages.size() - first, 0, 0, 0);
        } finally {
            Fds.close(copy);
        }
    }

    /** An unnamed, connected Unix socket whose peer is another descriptor of the process, with both queues. */
    private FdObject unixPair(FdView v) {
        long inode = v.stat().inode();
        UnixDiag.Socket s = UnixDiag.query(pid, inode);
        if (s == null) {
            throw new CaptureRefusedException("fd " + v.fd() + " (" + v.link() + ") is not a Unix socket; only "
                    + "Unix socket pairs are supported beyond fds 0-2");
        }
        if (s.named() || s.peer() == 0) {
            throw new CaptureRefusedException("fd " + v.fd() + " (" + v.link() + ") is a " + (s.named() ? "bound" : "unconnected")
                    + " Unix socket; only socket pairs (unnamed, connected to each other) are supported");
        }
        FdView peer = otherEnd(v, views.values().stream()
                .filter(o -> o.fd() > 2 && o.link().equals("socket:[" + s.peer() + "]")).toList());
        UnixDiag.Socket p = UnixDiag.query(pid, s.peer());
        if (p == null || p.peer() != inode || p.named()) {
            throw new CaptureRefusedException("fd " + v.fd() + " (" + v.link() + ") is connected to fd " + peer.fd()
                    + ", which is not connected back to it");
        }
        if (!ImageFormat.UNIX_TYPES.contains(s.type())) {
            throw new CaptureRefusedException("fd " + v.fd() + " (" + v.link() + ") is a Unix socket of type " + s.type());
        }
        pairs.put(peer.stat().inode(), new int[] {objects.size()});
        int first = messages.size();
        FdView[] ends = {v, peer};
        for (int end = 0; end < 2; end++) {
            int copy = pidfd.copy(ends[end].fd());
            try {
                for (byte[] m : FdPeek.socketQueue(copy, s.type() == SOCK_STREAM)) {
                    addMessage(end, m);
                }
            } catch (FdPeek.UnsupportedQueueException e) {
                throw new CaptureRefusedException("fd " + ends[end].fd() + " (" + ends[end].link() + "): "
                        + e.getMessage() + ", which is not supported");
            } finally {
                Fds.close(copy);
            }
        }
        int shutdown = (s.shutdown() & 3) | (p.shutdown() & 3) << 8;
        return new FdObject(FdKind.UNIX_PAIR, shutdown, s.type(), first, messages.size() - first, 0, 0, 0);
    }

    /** The one other descriptor of a pipe or socket pair, or a refusal naming {@code v}. */
    private static FdView otherEnd(FdView v, List<FdView> candidates) {
        List<FdView> others = candidates.stream().filter(o -> o.fd() != v.fd()).toList();
        if (others.isEmpty()) {
            throw new CaptureRefusedException("fd " + v.fd() + " (" + v.link() + ") is not supported: its other end "
                    + "is not open in this process (beyond fds 0-2); pipes and socket pairs are supported when both "
                    + "ends are");
        }
        if (others.size() > 1) {
            throw new CaptureRefusedException("fd " + v.fd() + " (" + v.link() + ") has its other end open at "
                    + others.size() + " descriptors, which is not supported");
        }
        return others.getFirst();
    }

    private void addMessage(int end, byte[] bytes) {
        if (bytes.length > 0) {
            messages.add(new FdMessage(end, data.size(), bytes.length));
            data.writeBytes(bytes);
        }
    }

    private <T> T withCopy(int fd, IntFunction<T> read) {
        int copy = pidfd.copy(fd);
        try {
            return read.apply(copy);
        } catch (ErrnoException e) {
            throw new CaptureRefusedException("fd " + fd + ": cannot read its state (" + e.getMessage() + ")");
        } finally {
            Fds.close(copy);
        }
    }

    private String fdinfo(int fd) {
        return dev.spice.sys.proc.ProcFiles.read(pid, "fdinfo/" + fd);
    }

    /** The value of "name: VALUE" in fdinfo text, in {@code radix}. */
    private static long field(String text, String name, int radix) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseUnsignedLong(line.substring(name.length() + 1).strip(), radix);
            }
        }
        throw new IllegalStateException("fdinfo has no " + name + " line (this kernel shows less than Spice needs)");
    }

    @Override
    public void close() {
        pidfd.close();
    }
}
