package dev.spice.restore;

import dev.spice.image.ImageContents;
import dev.spice.image.ImageFormat;
import dev.spice.image.Records;
import dev.spice.image.Records.FileRecord;
import dev.spice.image.Records.Rlimit;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.RestorerRange;
import dev.spice.image.VmaKind;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.FileStat;
import dev.spice.sys.ResourceLimits;
import dev.spice.sys.proc.Mapping;
import dev.spice.sys.proc.ProcStatus;
import dev.spice.sys.proc.Smaps;
import dev.spice.image.Records.ThreadRecord;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;

/**
 * Checks, before anything is started, that an image can be restored here: the files it uses
 * are unchanged, this kernel lays out the vDSO as the captured one did, its mappings leave the
 * restorer's range free, its resource limits can be set, and its seccomp filters let the
 * restorer finish.
 */
final class ImageValidator {
    private static final long CAP_SYS_RESOURCE = 1L << 24;
    private static final int MAX_THREADS = 512;

    private ImageValidator() {}

    static void validate(ImageContents c) {
        checkThreads(c);
        for (FileRecord f : c.files()) {
            checkFile(f);
        }
        for (VmaRecord v : c.vmas()) {
            if (RestorerRange.overlaps(v.start(), v.end())) {
                throw new RestoreFailedException(String.format(
                        "the image maps 0x%x-0x%x, inside the range the restorer needs (0x%x-0x%x)", v.start(),
                        v.end(), RestorerRange.BASE, RestorerRange.END));
            }
        }
        checkVdsoLayout(c.vmas());
        checkRlimits(c.rlimits());
        checkPipeCapacities(c);
        RestorerTail.check(c.seccomp(), c.threads().size() > 1);
    }

    /** The restorer's thread limit (restorer.h MAX_THREADS); the leader's TID is the PID; TIDs are distinct. */
    private static void checkThreads(ImageContents c) {
        if (c.threads().size() > MAX_THREADS) {
            throw new RestoreFailedException("the image has " + c.threads().size() + " threads; the restorer supports "
                    + MAX_THREADS);
        }
        Set<Integer> tids = new HashSet<>();
        for (ThreadRecord t : c.threads()) {
            if (t.tid() <= 0 || !tids.add(t.tid())) {
                throw new RestoreFailedException("the image has an invalid or repeated thread ID " + t.tid());
            }
        }
        if (!tids.contains(c.process().pid())) {
            throw new RestoreFailedException("the image has no thread whose ID is the process ID " + c.process().pid());
        }
    }

    /** Without CAP_SYS_RESOURCE, F_SETPIPE_SZ may not exceed fs.pipe-max-size: refused before the restorer would fail. */
    private static void checkPipeCapacities(ImageContents c) {
        if (HARD_LIMITS == null) {
            return;
        }
        for (Records.FdObject o : c.kernelObjects().objects()) {
            if (o.kind() == Records.FdKind.PIPE && o.param() > PIPE_MAX_SIZE) {
                throw new RestoreFailedException("the image has a pipe of " + o.param() + " bytes, more than this "
                        + "machine's fs.pipe-max-size (" + PIPE_MAX_SIZE + ") allows without CAP_SYS_RESOURCE");
            }
        }
    }

    private static final long PIPE_MAX_SIZE = pipeMaxSize();

    /** Read in one call: a sysctl file answers a first short read, then nothing (Files.readString gets "1"). */
    private static long pipeMaxSize() {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("/proc/sys/fs/pipe-max-size"))) {
            byte[] buf = new byte[32];
            int n = in.read(buf);
            return Long.parseLong(new String(buf, 0, Math.max(n, 0), java.nio.charset.StandardCharsets.US_ASCII).strip());
        } catch (java.io.IOException | NumberFormatException e) {
            return 1 << 20;                       // the kernel's default
        }
    }

    private static void checkFile(FileRecord f) {
        FileStat now;
        try {
            now = FileStat.of(f.path());
        } catch (ErrnoException e) {
            throw new RestoreFailedException("file " + f.path() + " used by the image is gone (" + e.getMessage() + ")");
        }
        FileStat then = new FileStat(f.mode(), f.devMajor(), f.devMinor(), f.inode(), f.size(), f.mtimeSec(),
                f.mtimeNsec(), 0, 0, 0, 0, 1);
        if ((f.checks() & ImageFormat.CHECK_IDENTITY) != 0 && !now.sameFile(then)) {
            throw new RestoreFailedException("file " + f.path() + " was replaced since the snapshot");
        }
        if ((f.checks() & ImageFormat.CHECK_CONTENT) != 0 && !now.sameContent(then)) {
            throw new RestoreFailedException("file " + f.path() + " changed since the snapshot (size or modification time)");
        }
    }

    /** This kernel's vDSO parts, as mapped into this process (the layout is the kernel's, read once). */
    private static final Map<VmaKind, Mapping> KERNEL_VDSO = kernelVdso();

    private static Map<VmaKind, Mapping> kernelVdso() {
        Map<VmaKind, Mapping> parts = new EnumMap<>(VmaKind.class);
        for (Mapping m : Smaps.readMaps((int) ProcessHandle.current().pid())) {
            switch (m.name()) {
                case "[vdso]" -> parts.put(VmaKind.VDSO, m);
                case "[vvar]" -> parts.put(VmaKind.VVAR, m);
                case "[vvar_vclock]" -> parts.put(VmaKind.VVAR_VCLOCK, m);
                default -> { }
            }
        }
        return parts;
    }

    /** The restorer moves this kernel's vDSO parts to the image's addresses; sizes and spacing must agree. */
    private static void checkVdsoLayout(List<VmaRecord> vmas) {
        Map<VmaKind, Mapping> here = KERNEL_VDSO;
        Long delta = null;
        for (VmaRecord v : vmas) {
            if (!v.kind().isVdsoPart()) {
                continue;
            }
            Mapping m = here.get(v.kind());
            if (m == null || m.size() != v.size()) {
                throw new RestoreFailedException("the image's " + v.kind().label()
                        + " differs from this kernel's; it was captured under another kernel");
            }
            long d = v.start() - m.start();
            if (delta != null && d != delta) {
                throw new RestoreFailedException("the image's vDSO parts are spaced differently from this kernel's");
            }
            delta = d;
        }
    }

    /** Hard limits the restorer may not exceed (none with CAP_SYS_RESOURCE); they are ours, read once. */
    private static final long[][] HARD_LIMITS =
            (ProcStatus.read((int) ProcessHandle.current().pid()).hex("CapEff") & CAP_SYS_RESOURCE) != 0
                    ? null : ResourceLimits.of(0);

    private static void checkRlimits(List<Rlimit> limits) {
        long[][] ours = HARD_LIMITS;
        if (ours == null) {
            return;
        }
        for (int r = 0; r < limits.size() && r < ours.length; r++) {
            if (Long.compareUnsigned(limits.get(r).max(), ours[r][1]) > 0) {
                throw new RestoreFailedException("the image's hard limit for " + ResourceLimits.NAMES[r] + " ("
                        + limits.get(r).max() + ") exceeds this environment's (" + ours[r][1]
                        + ") and raising it needs CAP_SYS_RESOURCE");
            }
        }
    }
}
