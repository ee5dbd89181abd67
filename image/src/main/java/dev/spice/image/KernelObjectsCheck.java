package dev.spice.image;

import dev.spice.image.Records.EpollTarget;
import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdMessage;
import dev.spice.image.Records.FdObject;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.InotifyWatch;
import dev.spice.image.Records.KernelObjects;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The kernel objects of an image against its descriptors and each other, as docs/image-format.md
 * ("fd_object" and after) states them: every object named by its descriptors exactly as its kind
 * requires, its entries of each table consecutive and in object order, every field within what
 * the kernel accepts. The restorer relies on all of it.
 */
final class KernelObjectsCheck {
    private static final int O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1;
    private static final long EVENTFD_MAX = -1L;           // 2^64-1 is not a value a counter can hold

    private final Path path;
    private final ImageContents c;
    private final KernelObjects k;

    private KernelObjectsCheck(Path path, ImageContents c) {
        this.path = path;
        this.c = c;
        this.k = c.kernelObjects();
    }

    static void check(Path path, int version, ImageContents c) {
        new KernelObjectsCheck(path, c).check(version);
    }

    private void check(int version) {
        int[] named = new int[k.objects().size()];          // bit e: end e is named (bit 0 for single objects)
        Set<Integer> fdNumbers = new HashSet<>();
        for (FdRecord f : c.fds()) {
            fdNumbers.add(f.fd());
            if (!f.kind().isObject()) {
                continue;
            }
            if (version < ImageFormat.KERNEL_OBJECTS_VERSION) {
                fail("has fd " + f.fd() + " of kind " + f.kind() + ", which version " + version + " does not have");
            }
            if (f.file() < 0 || f.file() >= k.objects().size() || k.objects().get(f.file()).kind() != f.kind()) {
                fail("has fd " + f.fd() + " naming a missing kernel object or one of another kind");
            }
            long end = f.pos();
            if (end < 0 || end > (f.kind().isPair() ? 1 : 0) || (named[f.file()] & (1 << end)) != 0) {
                fail("has fd " + f.fd() + " naming an end of kernel object " + f.file() + " that is not free");
            }
            named[f.file()] |= 1 << end;
            if (f.kind() == FdKind.PIPE && (f.flags() & O_ACCMODE) != (end == 0 ? O_RDONLY : O_WRONLY)) {
                fail("has pipe fd " + f.fd() + " whose access mode does not match its end");
            }
        }
        int targets = 0, messages = 0, watches = 0;
        for (int i = 0; i < k.objects().size(); i++) {
            FdObject o = k.objects().get(i);
            if (named[i] != (o.kind().isPair() ? 3 : 1)) {
                fail("has kernel object " + i + " (" + o.kind() + ") without its descriptors");
            }
            int expectFirst = switch (o.kind()) {
                case EPOLL -> targets;
                case PIPE, UNIX_PAIR -> messages;
                case INOTIFY -> watches;
                default -> 0;
            };
            if (o.first() != expectFirst || o.count() < 0) {
                fail("has kernel object " + i + " whose entries are not the next ones of their table");
            }
            switch (o.kind()) {
                case EVENTFD -> require(i, (o.flags() & ~ImageFormat.EVENTFD_SEMAPHORE) == 0 && o.value() != EVENTFD_MAX
                        && o.param() == 0 && o.count() == 0 && o.interval() == 0 && o.ticks() == 0);
                case SIGNALFD -> require(i, o.flags() == 0 && o.param() == 0 && o.count() == 0 && o.interval() == 0
                        && o.ticks() == 0);
                case TIMERFD -> require(i, (o.flags() & ~(ImageFormat.TIMER_ABSTIME | ImageFormat.TIMER_CANCEL_ON_SET)) == 0
                        && ImageFormat.TIMERFD_CLOCKS.contains(o.param()) && o.count() == 0 && o.value() >= 0
                        && o.interval() >= 0 && o.ticks() >= 0);
                case EPOLL -> {
                    require(i, o.flags() == 0 && o.param() == 0 && o.value() == 0 && o.interval() == 0 && o.ticks() == 0);
                    targets = within(i, targets, o.count(), k.epollTargets().size());
                    checkEpoll(i, o, fdNumbers);
                }
                case PIPE -> {
                    int cap = o.param();
                    require(i, o.flags() == 0 && cap >= ImageFormat.PIPE_MIN_CAPACITY && cap <= ImageFormat.PIPE_MAX_CAPACITY
                            && Integer.bitCount(cap) == 1 && o.count() <= 1 && o.value() == 0 && o.interval() == 0
                            && o.ticks() == 0);
                    messages = within(i, messages, o.count(), k.messages().size());
                    checkMessages(i, o, cap);
                }
                case UNIX_PAIR -> {
                    require(i, (o.flags() & ~ImageFormat.UNIX_SHUTDOWN_MASK) == 0
                            && ImageFormat.UNIX_TYPES.contains(o.param()) && o.value() == 0 && o.interval() == 0
                            && o.ticks() == 0);
                    messages = within(i, messages, o.count(), k.messages().size());
                    checkMessages(i, o, Long.MAX_VALUE);
                }
                case INOTIFY -> {
                    require(i, o.flags() == 0 && o.param() == 0 && o.value() == 0 && o.interval() == 0 && o.ticks() == 0);
                    watches = within(i, watches, o.count(), k.watches().size());
                    checkWatches(i, o);
                }
                default -> fail("has kernel object " + i + " of kind " + o.kind());
            }
        }
        if (targets != k.epollTargets().size() || messages != k.messages().size() || watches != k.watches().size()) {
            fail("has epoll targets, buffered messages or inotify watches that belong to no kernel object");
        }
    }

    /** The object's entries [first, first + count) lie inside a table of {@code size}; returns their end. */
    private int within(int i, int first, int count, int size) {
        if (count > size - first) {
            fail("has kernel object " + i + " with entries past the end of their table");
        }
        return first + count;
    }

    private void checkEpoll(int i, FdObject o, Set<Integer> fdNumbers) {
        int self = selfFd(i);
        Set<Integer> seen = new HashSet<>();
        for (EpollTarget t : k.of(o, k.epollTargets())) {
            if (t.fd() == self || !fdNumbers.contains(t.fd()) || !seen.add(t.fd())) {
                fail("has epoll fd " + self + " watching fd " + t.fd() + ", which is itself, not in the image, or twice");
            }
        }
    }

    private void checkMessages(int i, FdObject o, long capacity) {
        int[] perEnd = new int[2];
        for (FdMessage m : k.of(o, k.messages())) {
            int maxEnd = o.kind() == FdKind.PIPE ? 0 : 1;
            if (m.end() < 0 || m.end() > maxEnd || m.length() <= 0 || m.length() > capacity || m.offset() < 0
                    || m.offset() > k.data().length || m.length() > k.data().length - m.offset()) {
                fail("has a buffered message of kernel object " + i + " outside its data or its end's capacity");
            }
            if (++perEnd[m.end()] > 1 && o.param() == 1 && o.kind() == FdKind.UNIX_PAIR) {
                fail("has a stream socket pair (object " + i + ") with more than one buffer for one end");
            }
        }
    }

    private void checkWatches(int i, FdObject o) {
        int prevWd = 0;
        for (InotifyWatch w : k.of(o, k.watches())) {
            if (w.wd() <= prevWd || w.file() < 0 || w.file() >= c.files().size()) {
                fail("has an inotify watch of kernel object " + i + " out of wd order or on an unknown file");
            }
            prevWd = w.wd();
        }
    }

    private int selfFd(int object) {
        List<FdRecord> fds = c.fds();
        return fds.stream().filter(f -> f.kind().isObject() && f.file() == object).findFirst().orElseThrow().fd();
    }

    private void require(int i, boolean ok) {
        if (!ok) {
            FdObject o = k.objects().get(i);
            fail("has kernel object " + i + " (" + o.kind() + ") with a field outside what its kind allows");
        }
    }

    private void fail(String what) {
        throw new ImageFormatException("image " + path + " " + what);
    }
}
