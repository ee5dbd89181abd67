package dev.spice.image;

import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.SeccompFilter;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WorkingSet;
import dev.spice.image.Records.WsRange;
import java.math.BigInteger;
import java.util.List;

/**
 * What docs/image-format.md promises of an image that its reader accepted, checked the slow way
 * (exact arithmetic, no shortcuts shared with the reader): the fuzz test's oracle for inputs that
 * do not fail.
 */
final class ImageInvariants {
    private static final BigInteger PAGE = BigInteger.valueOf(ImageFormat.PAGE_SIZE);

    private ImageInvariants() {}

    static void check(Image image, long fileSize) {
        Image.Header h = image.header();
        ImageContents c = image.contents();
        BigInteger dataStart = big(h.dataOffset()), dataEnd = dataStart.add(big(h.dataSize()));
        require(h.dataOffset() % ImageFormat.PAGE_SIZE == 0 && h.dataSize() % ImageFormat.PAGE_SIZE == 0
                && h.dataOffset() >= ImageFormat.METADATA_OFFSET + h.metadataSize() && h.dataSize() >= 0
                && dataEnd.compareTo(big(fileSize)) <= 0, "header sizes");
        require(!c.threads().isEmpty() && c.sigactions().size() == ImageFormat.SIGNALS
                && c.rlimits().size() == ImageFormat.RLIMITS, "table sizes");
        require(c.process().threadCount() == c.threads().size(), "thread count");
        require(c.process().exeFile() >= 0 && c.process().exeFile() < c.files().size(), "executable");
        BigInteger previousEnd = BigInteger.ZERO;
        for (VmaRecord v : c.vmas()) {
            require(aligned(v.start()) && aligned(v.end()) && Long.compareUnsigned(v.start(), v.end()) < 0
                    && big(v.start()).compareTo(previousEnd) >= 0, "mapping order");
            previousEnd = big(v.end());
            require(v.file() == ImageFormat.NONE ? v.kind() != VmaKind.FILE : v.file() >= 0 && v.file() < c.files().size(),
                    "mapping file");
            require(v.firstRun() >= 0 && v.runCount() >= 0 && (long) v.firstRun() + v.runCount() <= c.runs().size(),
                    "mapping runs");
            BigInteger runEnd = big(v.start());
            for (PageRun r : c.runsOf(v)) {
                BigInteger bytes = big(r.pages()).multiply(PAGE);
                require(aligned(r.start()) && r.pages() > 0 && big(r.start()).compareTo(runEnd) >= 0
                        && big(r.start()).add(bytes).compareTo(big(v.end())) <= 0, "run inside its mapping");
                require(aligned(r.dataOffset()) && big(r.dataOffset()).compareTo(dataStart) >= 0
                        && big(r.dataOffset()).add(bytes).compareTo(dataEnd) <= 0, "run inside the data");
                runEnd = big(r.start()).add(bytes);
            }
        }
        long previousFd = -1;
        for (FdRecord f : c.fds()) {
            require(f.fd() > previousFd && (f.kind() != FdKind.FILE || (f.file() >= 0 && f.file() < c.files().size())),
                    "file descriptor");
            previousFd = f.fd();
        }
        require(h.version() >= 2 || c.seccomp().isEmpty(), "no seccomp filters before version 2");
        Records.KernelObjects k = c.kernelObjects();
        require(h.version() >= 3 || (k.isEmpty() && c.fds().stream().noneMatch(f -> f.kind().isObject())),
                "no kernel objects before version 3");
        java.util.Set<Integer> numbers = new java.util.HashSet<>();
        c.fds().forEach(f -> numbers.add(f.fd()));
        for (FdRecord f : c.fds()) {
            if (f.kind().isObject()) {
                require(f.file() >= 0 && f.file() < k.objects().size() && k.objects().get(f.file()).kind() == f.kind()
                        && f.pos() >= 0 && f.pos() <= (f.kind().isPair() ? 1 : 0), "descriptor of a kernel object");
            }
        }
        for (Records.FdObject o : k.objects()) {
            require(c.fds().stream().filter(f -> f.kind().isObject() && k.objects().get(f.file()) == o).count()
                    == (o.kind().isPair() ? 2 : 1), "kernel object named by its descriptors");
            List<?> table = o.kind() == FdKind.EPOLL ? k.epollTargets() : o.kind().isPair() ? k.messages()
                    : o.kind() == FdKind.INOTIFY ? k.watches() : List.of();
            require(o.first() >= 0 && o.count() >= 0 && (long) o.first() + o.count() <= table.size(),
                    "kernel object entries inside their table");
        }
        for (Records.EpollTarget t : k.epollTargets()) {
            require(numbers.contains(t.fd()), "epoll target is a descriptor of the image");
        }
        for (Records.FdMessage m : k.messages()) {
            require(m.length() >= 1 && m.offset() >= 0 && big(m.offset()).add(big(m.length()))
                    .compareTo(big(k.data().length)) <= 0, "buffered message inside the data");
        }
        for (Records.InotifyWatch w : k.watches()) {
            require(w.wd() > 0 && w.file() >= 0 && w.file() < c.files().size(), "inotify watch on a known file");
        }
        long path = 0;
        for (SeccompFilter f : c.seccomp()) {
            require(f.program().length % 8 == 0 && f.instructions() >= 1 && f.instructions() <= 4096
                    && (f.flags() & ~(2 | 4)) == 0, "seccomp filter size and flags");
            path += f.instructions() + 4;
        }
        require(path <= 32768, "seccomp filters within the kernel's path length");
        WorkingSet ws = c.workingSet();
        if (!ws.isEmpty()) {
            require(aligned(ws.dataOffset()) && aligned(ws.dataBytes()) && ws.dataBytes() >= 0
                    && big(ws.dataOffset()).compareTo(dataStart) >= 0
                    && big(ws.dataOffset()).add(big(ws.dataBytes())).compareTo(dataEnd) <= 0, "working set data");
            BigInteger wsEnd = BigInteger.ZERO;
            boolean inWritten = true;               // written ranges first, then read ones, each group sorted
            for (WsRange r : ws.ranges()) {
                boolean written = (r.flags() & ImageFormat.WS_WRITTEN) != 0;
                require(!written || inWritten, "written working set ranges first");
                if (inWritten && !written) {
                    inWritten = false;
                    wsEnd = BigInteger.ZERO;
                }
                BigInteger end = big(r.start()).add(big(r.pages()).multiply(PAGE));
                require(aligned(r.start()) && r.pages() > 0 && big(r.start()).compareTo(wsEnd) >= 0
                        && end.compareTo(previousEnd) <= 0, "working set range");
                wsEnd = end;
            }
        }
    }

    private static boolean aligned(long value) {
        return value % ImageFormat.PAGE_SIZE == 0;
    }

    /** The unsigned value of a u64 field. */
    private static BigInteger big(long value) {
        return new BigInteger(Long.toUnsignedString(value));
    }

    private static void require(boolean holds, String what) {
        if (!holds) {
            throw new AssertionError("the reader accepted an image that breaks an invariant: " + what);
        }
    }
}
