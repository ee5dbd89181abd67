package dev.spice.image;

import static dev.spice.image.ImageFormat.NONE;

import dev.spice.image.Records.EpollTarget;
import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdMessage;
import dev.spice.image.Records.FdObject;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.FileRecord;
import dev.spice.image.Records.InotifyWatch;
import dev.spice.image.Records.Itimer;
import dev.spice.image.Records.KernelObjects;
import dev.spice.image.Records.MmLayout;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.ProcessRecord;
import dev.spice.image.Records.Rlimit;
import dev.spice.image.Records.SeccompFilter;
import dev.spice.image.Records.Sigaction;
import dev.spice.image.Records.ThreadRecord;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.Records.WorkingSet;
import dev.spice.image.Records.WsRange;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Encodes and decodes the metadata sections, field by field in the order of the C structs in
 * restore/src/main/c/image.h. Encoding and decoding sit side by side so they stay in step.
 */
final class MetadataCodec {
    private MetadataCodec() {}

    // ---------------------------------------------------------------- encoding

    /** The metadata bytes and the number of sections in them. */
    record Encoded(byte[] bytes, int sections) {}

    static Encoded encode(ImageContents c) {
        Strings strings = new Strings();
        List<byte[]> sections = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        List<Integer> entrySizes = new ArrayList<>();
        // Strings are interned while other sections are encoded, so the table goes last.
        add(sections, types, entrySizes, ImageFormat.SEC_PROCESS, ImageFormat.PROCESS_SIZE,
                process(c.process(), strings));
        for (ThreadRecord t : c.threads()) {
            add(sections, types, entrySizes, ImageFormat.SEC_THREAD, 0, thread(t));
        }
        add(sections, types, entrySizes, ImageFormat.SEC_VMAS, ImageFormat.VMA_SIZE, vmas(c.vmas(), strings));
        add(sections, types, entrySizes, ImageFormat.SEC_RUNS, ImageFormat.RUN_SIZE, runs(c.runs()));
        add(sections, types, entrySizes, ImageFormat.SEC_FILES, ImageFormat.FILE_SIZE, files(c.files(), strings));
        add(sections, types, entrySizes, ImageFormat.SEC_FDS, ImageFormat.FD_SIZE, fds(c.fds()));
        add(sections, types, entrySizes, ImageFormat.SEC_AUXV, 0, longs(c.auxv()));
        add(sections, types, entrySizes, ImageFormat.SEC_SIGACTIONS, ImageFormat.SIGACTION_SIZE,
                sigactions(c.sigactions()));
        add(sections, types, entrySizes, ImageFormat.SEC_RLIMITS, ImageFormat.RLIMIT_SIZE, rlimits(c.rlimits()));
        add(sections, types, entrySizes, ImageFormat.SEC_GROUPS, 4, ints(c.groups()));
        if (!c.seccomp().isEmpty()) {
            add(sections, types, entrySizes, ImageFormat.SEC_SECCOMP, 0, seccomp(c.seccomp()));
        }
        if (!c.kernelObjects().isEmpty()) {
            KernelObjects k = c.kernelObjects();
            add(sections, types, entrySizes, ImageFormat.SEC_FD_OBJECTS, ImageFormat.FD_OBJECT_SIZE,
                    fdObjects(k.objects()));
            add(sections, types, entrySizes, ImageFormat.SEC_EPOLL_TARGETS, ImageFormat.EPOLL_TARGET_SIZE,
                    epollTargets(k.epollTargets()));
            add(sections, types, entrySizes, ImageFormat.SEC_FD_MESSAGES, ImageFormat.FD_MESSAGE_SIZE,
                    fdMessages(k.messages()));
            add(sections, types, entrySizes, ImageFormat.SEC_FD_DATA, 0, k.data());
            add(sections, types, entrySizes, ImageFormat.SEC_INOTIFY_WATCHES, ImageFormat.INOTIFY_WATCH_SIZE,
                    inotifyWatches(k.watches()));
        }
        if (c.threads().stream().anyMatch(t -> !t.name().isEmpty())) {
            add(sections, types, entrySizes, ImageFormat.SEC_THREAD_NAMES, ImageFormat.THREAD_NAME_SIZE,
                    threadNames(c.threads()));
        }
        if (!c.workingSet().isEmpty()) {
            add(sections, types, entrySizes, ImageFormat.SEC_WORKSET, ImageFormat.WS_RANGE_SIZE,
                    workingSet(c.workingSet()));
            add(sections, types, entrySizes, ImageFormat.SEC_WS_DATA, ImageFormat.WS_DATA_SIZE,
                    le(ImageFormat.WS_DATA_SIZE).putLong(c.workingSet().dataOffset())
                            .putLong(c.workingSet().dataBytes()).array());
        }
        add(sections, types, entrySizes, ImageFormat.SEC_STRINGS, 0, strings.bytes());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < sections.size(); i++) {
            byte[] payload = sections.get(i);
            ByteBuffer h = le(ImageFormat.SECTION_HEADER_SIZE);
            h.putInt(types.get(i)).putInt(entrySizes.get(i)).putLong(payload.length);
            out.writeBytes(h.array());
            out.writeBytes(payload);
            out.writeBytes(new byte[pad8(payload.length) - payload.length]);
        }
        return new Encoded(out.toByteArray(), sections.size());
    }

    private static void add(List<byte[]> sections, List<Integer> types, List<Integer> entrySizes, int type,
            int entrySize, byte[] payload) {
        sections.add(payload);
        types.add(type);
        entrySizes.add(entrySize);
    }

    private static byte[] process(ProcessRecord p, Strings strings) {
        ByteBuffer b = le(ImageFormat.PROCESS_SIZE);
        b.putInt(p.pid()).putInt(p.ppid()).putInt(p.pgid()).putInt(p.sid());
        for (int id : p.uid()) {
            b.putInt(id);
        }
        for (int id : p.gid()) {
            b.putInt(id);
        }
        b.putInt(p.umask()).putInt(p.personality());
        b.put(commField(p.comm()));
        b.putInt(strings.offset(p.cwd())).putInt(p.exeFile());
        MmLayout m = p.mm();
        b.putLong(m.startCode()).putLong(m.endCode()).putLong(m.startData()).putLong(m.endData())
                .putLong(m.startBrk()).putLong(m.brk()).putLong(m.startStack()).putLong(m.argStart())
                .putLong(m.argEnd()).putLong(m.envStart()).putLong(m.envEnd());
        b.putLong(p.sigreturnGadget()).putLong(p.timerslackNs());
        b.putInt(p.dumpable()).putInt(p.pdeathSignal()).putInt(p.noNewPrivs() ? 1 : 0)
                .putInt(p.childSubreaper() ? 1 : 0).putInt(p.thpDisable() ? 1 : 0).putInt(p.threadCount());
        for (Itimer t : p.itimers()) {
            b.putLong(t.intervalSec()).putLong(t.intervalUsec()).putLong(t.valueSec()).putLong(t.valueUsec());
        }
        return b.array();
    }

    /** One entry per named thread: TID, reserved, the name's first 15 bytes NUL-padded to 16. */
    private static byte[] threadNames(List<ThreadRecord> threads) {
        List<ThreadRecord> named = threads.stream().filter(t -> !t.name().isEmpty()).toList();
        ByteBuffer b = le(ImageFormat.THREAD_NAME_SIZE * named.size());
        for (ThreadRecord t : named) {
            b.putInt(t.tid()).putInt(0).put(commField(t.name()));
        }
        return b.array();
    }

    /** A name as the kernel keeps a comm: its first 15 bytes of UTF-8, NUL-padded to 16. */
    private static byte[] commField(String name) {
        byte[] field = new byte[ImageFormat.THREAD_NAME_MAX + 1];
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(bytes, 0, field, 0, Math.min(ImageFormat.THREAD_NAME_MAX, bytes.length));
        return field;
    }

    /** How many bytes of a 16-byte comm field come before its first NUL (16: there is none). */
    private static int commLength(byte[] field) {
        int len = 0;
        while (len < field.length && field[len] != 0) {
            len++;
        }
        return len;
    }

    private static byte[] thread(ThreadRecord t) {
        ByteBuffer b = le(ImageFormat.THREAD_SIZE + t.xstate().length);
        b.putInt(t.tid()).putInt(t.xstate().length);
        for (long r : t.regs()) {
            b.putLong(r);
        }
        b.putLong(t.sigmask()).putLong(t.altstackSp()).putLong(t.altstackSize());
        b.putInt(t.altstackFlags()).putInt(t.rseqLen()).putLong(t.rseqAddr());
        b.putInt(t.rseqSig()).putInt(t.rseqFlags());
        b.putLong(t.robustList()).putLong(t.robustListLen()).putLong(t.clearChildTid())
                .putLong(t.restartedSyscall());
        b.put(t.xstate());
        return b.array();
    }

    private static byte[] vmas(List<VmaRecord> vmas, Strings strings) {
        ByteBuffer b = le(ImageFormat.VMA_SIZE * vmas.size());
        for (VmaRecord v : vmas) {
            b.putLong(v.start()).putLong(v.end()).putLong(v.fileOffset());
            b.putInt(v.kind().code()).putInt(v.prot()).putInt(v.flags()).putInt(v.advice()).putInt(v.file())
                    .putInt(v.name() == null ? NONE : strings.offset(v.name()))
                    .putInt(v.firstRun()).putInt(v.runCount());
        }
        return b.array();
    }

    private static byte[] runs(List<PageRun> runs) {
        ByteBuffer b = le(ImageFormat.RUN_SIZE * runs.size());
        for (PageRun r : runs) {
            b.putLong(r.start()).putLong(r.pages()).putLong(r.dataOffset());
        }
        return b.array();
    }

    private static byte[] files(List<FileRecord> files, Strings strings) {
        ByteBuffer b = le(ImageFormat.FILE_SIZE * files.size());
        for (FileRecord f : files) {
            b.putInt(strings.offset(f.path())).putInt(f.mode()).putInt(f.devMajor()).putInt(f.devMinor())
                    .putLong(f.inode()).putLong(f.size()).putLong(f.mtimeSec()).putInt(f.mtimeNsec())
                    .putInt(f.checks());
        }
        return b.array();
    }

    private static byte[] fds(List<FdRecord> fds) {
        ByteBuffer b = le(ImageFormat.FD_SIZE * fds.size());
        for (FdRecord f : fds) {
            b.putInt(f.fd()).putInt(f.kind().code()).putInt(f.flags()).putInt(f.file()).putLong(f.pos());
        }
        return b.array();
    }

    private static byte[] fdObjects(List<FdObject> objects) {
        ByteBuffer b = le(ImageFormat.FD_OBJECT_SIZE * objects.size());
        for (FdObject o : objects) {
            b.putInt(o.kind().code()).putInt(o.flags()).putInt(o.param()).putInt(o.first()).putInt(o.count()).putInt(0)
                    .putLong(o.value()).putLong(o.interval()).putLong(o.ticks());
        }
        return b.array();
    }

    private static byte[] epollTargets(List<EpollTarget> targets) {
        ByteBuffer b = le(ImageFormat.EPOLL_TARGET_SIZE * targets.size());
        for (EpollTarget t : targets) {
            b.putInt(t.fd()).putInt(t.events()).putLong(t.data());
        }
        return b.array();
    }

    private static byte[] fdMessages(List<FdMessage> messages) {
        ByteBuffer b = le(ImageFormat.FD_MESSAGE_SIZE * messages.size());
        for (FdMessage m : messages) {
            b.putInt(m.end()).putInt(0).putLong(m.offset()).putLong(m.length());
        }
        return b.array();
    }

    private static byte[] inotifyWatches(List<InotifyWatch> watches) {
        ByteBuffer b = le(ImageFormat.INOTIFY_WATCH_SIZE * watches.size());
        for (InotifyWatch w : watches) {
            b.putInt(w.wd()).putInt(w.mask()).putInt(w.file()).putInt(0);
        }
        return b.array();
    }

    private static byte[] sigactions(List<Sigaction> actions) {
        ByteBuffer b = le(ImageFormat.SIGACTION_SIZE * actions.size());
        for (Sigaction a : actions) {
            b.putLong(a.handler()).putLong(a.flags()).putLong(a.restorer()).putLong(a.mask());
        }
        return b.array();
    }

    private static byte[] rlimits(List<Rlimit> limits) {
        ByteBuffer b = le(ImageFormat.RLIMIT_SIZE * limits.size());
        for (Rlimit r : limits) {
            b.putLong(r.cur()).putLong(r.max());
        }
        return b.array();
    }

    private static byte[] seccomp(List<SeccompFilter> filters) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (SeccompFilter f : filters) {
            out.writeBytes(le(ImageFormat.SECCOMP_FILTER_HEADER).putInt(f.flags()).putInt(f.instructions()).array());
            out.writeBytes(f.program());
        }
        return out.toByteArray();
    }

    private static byte[] workingSet(WorkingSet ws) {
        ByteBuffer b = le(ImageFormat.WS_RANGE_SIZE * ws.ranges().size());
        for (WsRange r : ws.ranges()) {
            b.putLong(r.start()).putLong(r.pages()).putInt(r.flags()).putInt(0);
        }
        return b.array();
    }

    private static byte[] longs(long[] values) {
        ByteBuffer b = le(8 * values.length);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    private static byte[] ints(int[] values) {
        ByteBuffer b = le(4 * values.length);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    /** The string table: offset 0 is the empty string; equal strings are stored once. */
    private static final class Strings {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Map<String, Integer> offsets = new HashMap<>();

        Strings() {
            bytes.write(0);
            offsets.put("", 0);
        }

        int offset(String s) {
            return offsets.computeIfAbsent(s, k -> {
                int at = bytes.size();
                bytes.writeBytes(k.getBytes(StandardCharsets.UTF_8));
                bytes.write(0);
                return at;
            });
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }
    }

    // ---------------------------------------------------------------- decoding

    static ImageContents decode(ByteBuffer metadata, int sectionCount, int version) {
        Map<Integer, ByteBuffer> single = new HashMap<>();
        List<ByteBuffer> threadSections = new ArrayList<>();
        for (int i = 0; i < sectionCount; i++) {
            if (metadata.remaining() < ImageFormat.SECTION_HEADER_SIZE) {
                throw new ImageFormatException("metadata ends inside section " + i);
            }
            int type = metadata.getInt();
            int entrySize = metadata.getInt();
            long length = metadata.getLong();
            if (length < 0 || length > metadata.remaining()) {
                throw new ImageFormatException("section " + i + " (type " + type + ") runs past the metadata");
            }
            ByteBuffer payload = metadata.slice(metadata.position(), (int) length).order(ByteOrder.LITTLE_ENDIAN);
            if (entrySize != 0 && length % entrySize != 0) {
                throw new ImageFormatException("section type " + type + " is not a whole number of entries");
            }
            metadata.position(metadata.position() + (int) Math.min(pad8(length), metadata.remaining()));
            if (type == ImageFormat.SEC_THREAD) {
                threadSections.add(payload);
            } else if (single.put(type, payload) != null) {
                throw new ImageFormatException("section type " + type + " appears twice");
            }
        }
        StringTable strings = new StringTable(bytes(required(single, ImageFormat.SEC_STRINGS, "strings")));
        ProcessRecord process = decodeProcess(required(single, ImageFormat.SEC_PROCESS, "process"), strings);
        Map<Integer, String> names = decodeThreadNames(single.get(ImageFormat.SEC_THREAD_NAMES));
        List<ThreadRecord> threads = threadSections.stream().map(b -> decodeThread(b, names)).toList();
        if (!threads.stream().map(ThreadRecord::tid).collect(Collectors.toSet()).containsAll(names.keySet())) {
            throw new ImageFormatException("a thread name is for a thread the image does not have");
        }
        List<VmaRecord> vmas = decodeVmas(required(single, ImageFormat.SEC_VMAS, "mappings"), strings);
        List<PageRun> runs = decodeRuns(required(single, ImageFormat.SEC_RUNS, "page runs"));
        List<FileRecord> files = decodeFiles(required(single, ImageFormat.SEC_FILES, "files"), strings);
        List<FdRecord> fds = decodeFds(required(single, ImageFormat.SEC_FDS, "file descriptors"));
        long[] auxv = decodeLongs(required(single, ImageFormat.SEC_AUXV, "auxv"));
        List<Sigaction> sigactions = decodeSigactions(required(single, ImageFormat.SEC_SIGACTIONS, "signal actions"));
        List<Rlimit> rlimits = decodeRlimits(required(single, ImageFormat.SEC_RLIMITS, "resource limits"));
        int[] groups = decodeInts(required(single, ImageFormat.SEC_GROUPS, "groups"));
        WorkingSet ws = decodeWorkingSet(single.get(ImageFormat.SEC_WORKSET), single.get(ImageFormat.SEC_WS_DATA));
        // Version 1 had no filters; a section 14 in it is an unknown optional one, skipped as its readers did.
        ByteBuffer seccompSection = version >= 2 ? single.get(ImageFormat.SEC_SECCOMP) : null;
        List<SeccompFilter> seccomp = seccompSection == null ? List.of() : decodeSeccomp(seccompSection);
        // Before version 3 sections 15-19 were unknown optional ones, skipped as those readers did.
        KernelObjects kernelObjects = version >= ImageFormat.KERNEL_OBJECTS_VERSION ? decodeKernelObjects(single)
                : KernelObjects.NONE;
        if (threads.isEmpty()) {
            throw new ImageFormatException("image has no thread");
        }
        if (sigactions.size() != ImageFormat.SIGNALS || rlimits.size() != ImageFormat.RLIMITS) {
            throw new ImageFormatException("signal or resource limit table has the wrong size");
        }
        return new ImageContents(process, threads, vmas, runs, files, fds, auxv, sigactions, rlimits, groups, seccomp,
                ws, kernelObjects);
    }

    private static ByteBuffer required(Map<Integer, ByteBuffer> sections, int type, String what) {
        ByteBuffer b = sections.get(type);
        if (b == null) {
            throw new ImageFormatException("image lacks its " + what + " section");
        }
        return b;
    }

    /**
     * The decoded string table. An offset must be where a string starts (0, or just after a NUL), and
     * each string is decoded once however many entries name it: the strings of a table cost no more
     * than the table, and no lookup scans bytes another lookup scanned.
     */
    static final class StringTable {
        private final byte[] table;
        private final Map<Integer, String> decoded = new HashMap<>();

        StringTable(byte[] table) {
            this.table = table;
        }

        String at(int offset) {
            if (offset < 0 || offset >= table.length || (offset > 0 && table[offset - 1] != 0)) {
                throw new ImageFormatException("string offset " + offset + " is not the start of a string in the table");
            }
            return decoded.computeIfAbsent(offset, start -> {
                int end = start;
                while (end < table.length && table[end] != 0) {
                    end++;
                }
                return new String(table, start, end - start, StandardCharsets.UTF_8);
            });
        }
    }

    private static ProcessRecord decodeProcess(ByteBuffer b, StringTable strings) {
        if (b.remaining() < ImageFormat.PROCESS_SIZE) {
            throw new ImageFormatException("process section is too short");
        }
        int pid = b.getInt(), ppid = b.getInt(), pgid = b.getInt(), sid = b.getInt();
        int[] uid = {b.getInt(), b.getInt(), b.getInt(), b.getInt()};
        int[] gid = {b.getInt(), b.getInt(), b.getInt(), b.getInt()};
        int umask = b.getInt(), personality = b.getInt();
        byte[] comm = new byte[ImageFormat.THREAD_NAME_MAX + 1];
        b.get(comm);
        int commLen = commLength(comm);
        String cwd = strings.at(b.getInt());
        int exe = b.getInt();
        MmLayout mm = new MmLayout(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(),
                b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong());
        long gadget = b.getLong(), slack = b.getLong();
        int dumpable = b.getInt(), pdeath = b.getInt(), nnp = b.getInt(), subreaper = b.getInt(),
                thp = b.getInt(), threadCount = b.getInt();
        List<Itimer> timers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            timers.add(new Itimer(b.getLong(), b.getLong(), b.getLong(), b.getLong()));
        }
        return new ProcessRecord(pid, ppid, pgid, sid, uid, gid, umask, personality,
                new String(comm, 0, commLen, StandardCharsets.UTF_8), cwd, exe, mm, gadget, slack, dumpable,
                pdeath, nnp != 0, subreaper != 0, thp != 0, threadCount, timers);
    }

    private static ThreadRecord decodeThread(ByteBuffer b, Map<Integer, String> names) {
        if (b.remaining() < ImageFormat.THREAD_SIZE) {
            throw new ImageFormatException("thread section is too short");
        }
        int tid = b.getInt(), xstateSize = b.getInt();
        long[] regs = new long[27];
        for (int i = 0; i < regs.length; i++) {
            regs[i] = b.getLong();
        }
        long sigmask = b.getLong(), altSp = b.getLong(), altSize = b.getLong();
        int altFlags = b.getInt(), rseqLen = b.getInt();
        long rseqAddr = b.getLong();
        int rseqSig = b.getInt(), rseqFlags = b.getInt();
        long robust = b.getLong(), robustLen = b.getLong(), clearTid = b.getLong(), restarted = b.getLong();
        if (xstateSize < 0 || xstateSize != b.remaining()) {
            throw new ImageFormatException("thread " + tid + " has a malformed register area");
        }
        byte[] xstate = new byte[xstateSize];
        b.get(xstate);
        return new ThreadRecord(tid, regs, sigmask, altSp, altSize, altFlags, rseqAddr, rseqLen, rseqSig,
                rseqFlags, robust, robustLen, clearTid, restarted, xstate, names.getOrDefault(tid, ""));
    }

    /** Thread names by TID (section absent: none); each NUL-terminated within its 16 bytes, one per thread. */
    private static Map<Integer, String> decodeThreadNames(ByteBuffer b) {
        Map<Integer, String> names = new HashMap<>();
        while (b != null && b.remaining() >= ImageFormat.THREAD_NAME_SIZE) {
            int tid = b.getInt();
            if (b.getInt() != 0) {
                throw new ImageFormatException("the name of thread " + tid + " has a reserved field set");
            }
            byte[] name = new byte[ImageFormat.THREAD_NAME_MAX + 1];
            b.get(name);
            int len = commLength(name);
            if (len > ImageFormat.THREAD_NAME_MAX) {
                throw new ImageFormatException("the name of thread " + tid + " is not NUL-terminated");
            }
            if (names.put(tid, new String(name, 0, len, StandardCharsets.UTF_8)) != null) {
                throw new ImageFormatException("thread " + tid + " is named twice");
            }
        }
        return names;
    }

    private static List<VmaRecord> decodeVmas(ByteBuffer b, StringTable strings) {
        List<VmaRecord> vmas = new ArrayList<>();
        while (b.remaining() >= ImageFormat.VMA_SIZE) {
            long start = b.getLong(), end = b.getLong(), offset = b.getLong();
            VmaKind kind = VmaKind.of(b.getInt());
            int prot = b.getInt(), flags = b.getInt(), advice = b.getInt(), file = b.getInt(), name = b.getInt();
            int firstRun = b.getInt(), runCount = b.getInt();
            vmas.add(new VmaRecord(start, end, offset, kind, prot, flags, advice, file,
                    name == NONE ? null : strings.at(name), firstRun, runCount));
        }
        return vmas;
    }

    private static List<PageRun> decodeRuns(ByteBuffer b) {
        List<PageRun> runs = new ArrayList<>();
        while (b.remaining() >= ImageFormat.RUN_SIZE) {
            runs.add(new PageRun(b.getLong(), b.getLong(), b.getLong()));
        }
        return runs;
    }

    private static List<FileRecord> decodeFiles(ByteBuffer b, StringTable strings) {
        List<FileRecord> files = new ArrayList<>();
        while (b.remaining() >= ImageFormat.FILE_SIZE) {
            files.add(new FileRecord(strings.at(b.getInt()), b.getInt(), b.getInt(), b.getInt(), b.getLong(),
                    b.getLong(), b.getLong(), b.getInt(), b.getInt()));
        }
        return files;
    }

    private static List<FdRecord> decodeFds(ByteBuffer b) {
        List<FdRecord> fds = new ArrayList<>();
        while (b.remaining() >= ImageFormat.FD_SIZE) {
            fds.add(new FdRecord(b.getInt(), FdKind.of(b.getInt()), b.getInt(), b.getInt(), b.getLong()));
        }
        return fds;
    }

    /** Sections 15-19; an absent one is empty. Their consistency is checked by {@link KernelObjectsCheck}. */
    private static KernelObjects decodeKernelObjects(Map<Integer, ByteBuffer> sections) {
        List<FdObject> objects = new ArrayList<>();
        ByteBuffer b = sections.get(ImageFormat.SEC_FD_OBJECTS);
        while (b != null && b.remaining() >= ImageFormat.FD_OBJECT_SIZE) {
            FdKind kind = FdKind.of(b.getInt());
            int flags = b.getInt(), param = b.getInt(), first = b.getInt(), count = b.getInt();
            if (b.getInt() != 0 || !kind.isObject()) {
                throw new ImageFormatException("kernel object " + objects.size() + " is malformed (kind " + kind
                        + " or a reserved field)");
            }
            objects.add(new FdObject(kind, flags, param, first, count, b.getLong(), b.getLong(), b.getLong()));
        }
        List<EpollTarget> targets = new ArrayList<>();
        b = sections.get(ImageFormat.SEC_EPOLL_TARGETS);
        while (b != null && b.remaining() >= ImageFormat.EPOLL_TARGET_SIZE) {
            targets.add(new EpollTarget(b.getInt(), b.getInt(), b.getLong()));
        }
        List<FdMessage> messages = new ArrayList<>();
        b = sections.get(ImageFormat.SEC_FD_MESSAGES);
        while (b != null && b.remaining() >= ImageFormat.FD_MESSAGE_SIZE) {
            int end = b.getInt();
            if (b.getInt() != 0) {
                throw new ImageFormatException("buffered message " + messages.size() + " has a reserved field set");
            }
            messages.add(new FdMessage(end, b.getLong(), b.getLong()));
        }
        List<InotifyWatch> watches = new ArrayList<>();
        b = sections.get(ImageFormat.SEC_INOTIFY_WATCHES);
        while (b != null && b.remaining() >= ImageFormat.INOTIFY_WATCH_SIZE) {
            watches.add(new InotifyWatch(b.getInt(), b.getInt(), b.getInt()));
            if (b.getInt() != 0) {
                throw new ImageFormatException("inotify watch " + (watches.size() - 1) + " has a reserved field set");
            }
        }
        ByteBuffer data = sections.get(ImageFormat.SEC_FD_DATA);
        return new KernelObjects(objects, targets, messages, data == null ? new byte[0] : bytes(data), watches);
    }

    private static List<Sigaction> decodeSigactions(ByteBuffer b) {
        List<Sigaction> actions = new ArrayList<>();
        while (b.remaining() >= ImageFormat.SIGACTION_SIZE) {
            actions.add(new Sigaction(b.getLong(), b.getLong(), b.getLong(), b.getLong()));
        }
        return actions;
    }

    private static List<Rlimit> decodeRlimits(ByteBuffer b) {
        List<Rlimit> limits = new ArrayList<>();
        while (b.remaining() >= ImageFormat.RLIMIT_SIZE) {
            limits.add(new Rlimit(b.getLong(), b.getLong()));
        }
        return limits;
    }

    /**
     * The filters, oldest first, each bounded as the kernel bounds them (1 to BPF_MAXINSNS
     * instructions, all of them with the per-filter penalty within MAX_INSNS_PER_PATH), so that
     * whatever the restorer installs is what the kernel would accept in size. The section must
     * end with the last filter.
     */
    private static List<SeccompFilter> decodeSeccomp(ByteBuffer b) {
        List<SeccompFilter> filters = new ArrayList<>();
        long path = 0;
        while (b.hasRemaining()) {
            if (b.remaining() < ImageFormat.SECCOMP_FILTER_HEADER) {
                throw new ImageFormatException("seccomp section ends inside a filter header");
            }
            int flags = b.getInt(), count = b.getInt();
            if (count <= 0 || count > ImageFormat.SECCOMP_MAX_INSNS
                    || count > b.remaining() / ImageFormat.SECCOMP_INSN_SIZE) {
                throw new ImageFormatException("seccomp filter " + filters.size() + " has " + Integer.toUnsignedString(count)
                        + " instructions, outside 1.." + ImageFormat.SECCOMP_MAX_INSNS + " or the section");
            }
            if ((flags & ~(ImageFormat.SECCOMP_FLAG_LOG | ImageFormat.SECCOMP_FLAG_SPEC_ALLOW)) != 0) {
                throw new ImageFormatException("seccomp filter " + filters.size() + " has unknown flags 0x"
                        + Integer.toHexString(flags));
            }
            path += count + ImageFormat.SECCOMP_FILTER_PENALTY;
            if (path > ImageFormat.SECCOMP_MAX_PATH) {
                throw new ImageFormatException("seccomp filters exceed the kernel's " + ImageFormat.SECCOMP_MAX_PATH
                        + " instructions");
            }
            byte[] program = new byte[count * ImageFormat.SECCOMP_INSN_SIZE];
            b.get(program);
            filters.add(new SeccompFilter(flags, program));
        }
        return filters;
    }

    /** The optional working set: both sections or neither. */
    private static WorkingSet decodeWorkingSet(ByteBuffer ranges, ByteBuffer data) {
        if (ranges == null && data == null) {
            return WorkingSet.NONE;
        }
        if (ranges == null || data == null || data.remaining() < ImageFormat.WS_DATA_SIZE) {
            throw new ImageFormatException("image has an incomplete working set");
        }
        List<WsRange> list = new ArrayList<>();
        while (ranges.remaining() >= ImageFormat.WS_RANGE_SIZE) {
            list.add(new WsRange(ranges.getLong(), ranges.getLong(), ranges.getInt()));
            ranges.getInt();
        }
        return new WorkingSet(list, data.getLong(), data.getLong());
    }

    private static long[] decodeLongs(ByteBuffer b) {
        long[] values = new long[b.remaining() / 8];
        b.asLongBuffer().get(values);
        return values;
    }

    private static int[] decodeInts(ByteBuffer b) {
        int[] values = new int[b.remaining() / 4];
        b.asIntBuffer().get(values);
        return values;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    // ---------------------------------------------------------------- shared

    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    static int pad8(long n) {
        return (int) ((n + 7) & ~7L);
    }
}
