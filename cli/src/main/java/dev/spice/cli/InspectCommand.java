package dev.spice.cli;

import dev.spice.image.Image;
import dev.spice.image.ImageContents;
import dev.spice.image.ImageFormat;
import dev.spice.image.ImageReader;
import dev.spice.image.Records;
import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.FileRecord;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.ProcessRecord;
import dev.spice.image.Records.ThreadRecord;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WsRange;
import dev.spice.image.VmaKind;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "inspect", description = "Print a summary of an image: mappings and how each is backed, threads, "
        + "file descriptors, the working set, totals.")
final class InspectCommand implements Callable<Integer> {
    private static final int[] REG_ORDER = {16, 19, 10, 15};      // rip, rsp, rax, orig_rax
    private static final String[] REG_NAMES = {"rip", "rsp", "rax", "orig_rax"};

    @Spec
    CommandSpec spec;

    @Option(names = "--image", required = true, description = "image file")
    Path image;

    @Option(names = "--verify", description = "also verify the checksum of the page data (reads the whole file)")
    boolean verify;

    @Override
    public Integer call() {
        Image img = ImageReader.read(image);
        if (verify) {
            ImageReader.verifyData(img);
        }
        PrintWriter out = spec.commandLine().getOut();
        ImageContents c = img.contents();
        ProcessRecord p = c.process();
        out.printf("image     %s, format %d, created %s%s%n", img.path(), img.header().version(),
                Instant.ofEpochMilli(img.header().createdUnixMs()), verify ? ", page data verified" : "");
        out.printf("process   pid %d \"%s\", executable %s, cwd %s, uid %d, gid %d%n", p.pid(), p.comm(),
                c.files().get(p.exeFile()).path(), p.cwd(), p.uid()[0], p.gid()[0]);
        for (ThreadRecord t : c.threads()) {
            StringBuilder regs = new StringBuilder();
            for (int i = 0; i < REG_ORDER.length; i++) {
                regs.append(String.format(" %s=0x%x", REG_NAMES[i], t.regs()[REG_ORDER[i]]));
            }
            out.printf("thread    tid %d%s%s, %d bytes of FPU/vector state, sigmask 0x%x%s%s%n", t.tid(),
                    t.name().isEmpty() ? "" : " \"" + t.name() + "\"", regs,
                    t.xstate().length, t.sigmask(), t.rseqLen() != 0 ? ", rseq" : "",
                    t.restartedSyscall() >= 0 ? ", resumes by reissuing syscall " + t.restartedSyscall() : "");
        }
        for (int i = 0; i < c.seccomp().size(); i++) {
            out.printf("seccomp   filter %d of %d (oldest first): %d instructions%s%n", i + 1, c.seccomp().size(),
                    c.seccomp().get(i).instructions(),
                    (c.seccomp().get(i).flags() & ImageFormat.SECCOMP_FLAG_LOG) != 0 ? ", logged" : "");
        }
        out.println("mappings");
        long mapped = 0;
        long[] ws = new long[3];
        long wsFromFiles = 0;
        int wsFiles = 0;
        for (VmaRecord v : c.vmas()) {
            long stored = c.runsOf(v).stream().mapToLong(PageRun::bytes).sum();
            mapped += v.size();
            long[] w = workingSetPages(v, c);
            out.printf("  %012x-%012x %s %9s  %-38s stored %s in %d runs%s%n", v.start(), v.end(), perms(v),
                    Sizes.human(v.size()), backing(v, c), Sizes.human(stored), v.runCount(),
                    w[0] == 0 ? "" : String.format(", working set %d pages (%d written)", w[0], w[1]));
            for (int i = 0; i < 3; i++) {
                ws[i] += w[i];
            }
            if (v.kind() == VmaKind.FILE && w[0] > w[2]) {
                wsFiles++;
                wsFromFiles += w[0] - w[2];
            }
        }
        out.println("fds");
        for (FdRecord f : c.fds()) {
            out.printf("  %3d %s%n", f.fd(), f.kind() == FdKind.STDIO ? "stdio (provided at restore)"
                    : f.kind().isObject() ? describeObject(c, f)
                    : String.format("%s (flags 0%o, offset %d)", c.files().get(f.file()).path(), f.flags(), f.pos()));
        }
        if (ws[0] == 0) {
            out.println("working set none recorded");
        } else {
            out.printf("working set %d pages (%s), %d written; read from the image %d, from %d file mappings %d, "
                    + "zero %d%n", ws[0], Sizes.human(ws[0] * ImageFormat.PAGE_SIZE), ws[1], ws[2], wsFiles,
                    wsFromFiles, ws[0] - ws[2] - wsFromFiles);
        }
        long stored = c.storedPages() * ImageFormat.PAGE_SIZE;
        out.printf("totals    %d mappings, %s mapped, %s stored in %d runs, %d files, %d fds, %s metadata%n",
                c.vmas().size(), Sizes.human(mapped), Sizes.human(stored), c.runs().size(), c.files().size(),
                c.fds().size(), Sizes.human(img.header().metadataSize()));
        return 0;
    }

    /** The working set's pages in {@code v}: all of them, those written, those stored in the image. */
    private static long[] workingSetPages(VmaRecord v, ImageContents c) {
        long all = 0, written = 0, stored = 0;
        for (WsRange r : c.workingSet().ranges()) {
            long from = Math.max(r.start(), v.start()), to = Math.min(r.end(), v.end());
            if (from >= to) {
                continue;
            }
            all += (to - from) / ImageFormat.PAGE_SIZE;
            written += r.written() ? (to - from) / ImageFormat.PAGE_SIZE : 0;
            for (PageRun run : c.runsOf(v)) {
                long overlap = Math.min(to, run.start() + run.bytes()) - Math.max(from, run.start());
                stored += Math.max(0, overlap) / ImageFormat.PAGE_SIZE;
            }
        }
        return new long[] {all, written, stored};
    }

    private static String perms(VmaRecord v) {
        return ((v.prot() & 1) != 0 ? "r" : "-") + ((v.prot() & 2) != 0 ? "w" : "-") + ((v.prot() & 4) != 0 ? "x" : "-")
                + (v.has(ImageFormat.VMA_F_SHARED) ? "s" : "p");
    }

    private static String backing(VmaRecord v, ImageContents c) {
        if (v.kind() == VmaKind.FILE) {
            FileRecord f = c.files().get(v.file());
            return f.path() + String.format(" @%x", v.fileOffset());
        }
        String label = v.kind().label();
        if (v.has(ImageFormat.VMA_F_STACK)) {
            return label + " (stack, copied)";
        }
        return v.name() != null ? label + " [" + v.name() + "]" : label;
    }

    /** One line for a descriptor of a kernel object: its kind, state and buffered bytes. */
    private static String describeObject(ImageContents c, FdRecord f) {
        Records.KernelObjects k = c.kernelObjects();
        Records.FdObject o = k.objects().get(f.file());
        String state = switch (o.kind()) {
            case EVENTFD -> "count " + Long.toUnsignedString(o.value()) + ((o.flags() & 1) != 0 ? ", semaphore" : "");
            case SIGNALFD -> String.format("mask 0x%x", o.value());
            case TIMERFD -> String.format("clock %d, next in %d ns, interval %d ns, %d unread", o.param(), o.value(),
                    o.interval(), o.ticks());
            case EPOLL -> o.count() + " registrations";
            case INOTIFY -> o.count() + " watches";
            case PIPE, UNIX_PAIR -> String.format("object %d end %d, %s%d buffered bytes", f.file(), f.pos(),
                    o.kind() == FdKind.PIPE ? "capacity " + o.param() + ", " : "type " + o.param() + ", ",
                    k.of(o, k.messages()).stream().filter(m -> m.end() == f.pos()
                            || o.kind() == FdKind.PIPE).mapToLong(Records.FdMessage::length).sum());
            default -> "";
        };
        return String.format("%s (%s; flags 0%o)", o.kind().name().toLowerCase(java.util.Locale.ROOT), state, f.flags());
    }
}
