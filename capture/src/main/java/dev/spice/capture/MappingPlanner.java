package dev.spice.capture;

import dev.spice.image.ImageFormat;
import dev.spice.image.RestorerRange;
import dev.spice.image.VmaKind;
import dev.spice.sys.proc.Mapping;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** Decides, for every mapping of the process, how an image rebuilds it, or refuses it. */
final class MappingPlanner {
    private MappingPlanner() {}

    static List<PlannedMapping> plan(int pid, List<Mapping> mappings, long startStack, FileTable files) {
        List<PlannedMapping> plan = new ArrayList<>();
        for (Mapping m : mappings) {
            if (m.name().equals("[vsyscall]")) {
                continue;                                  // fixed, above user space
            }
            if (RestorerRange.overlaps(m.start(), m.end())) {
                throw new CaptureRefusedException(String.format(
                        "mapping %s overlaps the address range the restorer needs (0x%x-0x%x)", m,
                        RestorerRange.BASE, RestorerRange.END));
            }
            refuseUnsupportedFlags(m);
            plan.add(classify(pid, m, startStack, files));
        }
        return plan;
    }

    private static void refuseUnsupportedFlags(Mapping m) {
        Set<String> f = m.vmFlags();
        if (f.contains("lo")) {
            throw new CaptureRefusedException("mapping " + m + " is locked in memory (mlock), which is not supported");
        }
        if (f.contains("ht")) {
            throw new CaptureRefusedException("mapping " + m + " uses huge TLB pages, which are not supported");
        }
        if ((f.contains("io") || f.contains("pf")) && !m.name().startsWith("[vvar")) {
            throw new CaptureRefusedException("mapping " + m + " maps device memory, which is not supported");
        }
    }

    private static PlannedMapping classify(int pid, Mapping m, long startStack, FileTable files) {
        int advice = advice(m.vmFlags());
        int flags = (m.shared() ? ImageFormat.VMA_F_SHARED : 0)
                | (m.vmFlags().contains("gd") ? ImageFormat.VMA_F_GROWSDOWN : 0)
                | (m.contains(startStack) || m.name().equals("[stack]") ? ImageFormat.VMA_F_STACK : 0);
        String name = m.name();
        switch (name) {
            case "[vdso]" -> { return special(m, VmaKind.VDSO); }
            case "[vvar]" -> { return special(m, VmaKind.VVAR); }
            case "[vvar_vclock]" -> { return special(m, VmaKind.VVAR_VCLOCK); }
            default -> { }
        }
        boolean anonymous = m.inode() == 0 && (name.isEmpty() || name.equals("[heap]") || name.equals("[stack]")
                || name.startsWith("[anon:"));
        if (anonymous) {
            String anonName = name.startsWith("[anon:") ? name.substring(6, name.length() - 1) : null;
            return m.shared()
                    ? new PlannedMapping(m, VmaKind.SHARED_ANON, flags, advice, ImageFormat.NONE, null,
                            PlannedMapping.Pages.POPULATED_NONZERO)
                    : new PlannedMapping(m, VmaKind.ANON, flags, advice, ImageFormat.NONE, anonName,
                            PlannedMapping.Pages.POPULATED_NONZERO);
        }
        if (m.shared() && (name.equals("/dev/zero (deleted)") || name.startsWith("[anon_shmem:"))) {
            return new PlannedMapping(m, VmaKind.SHARED_ANON, flags, advice, ImageFormat.NONE, null,
                    PlannedMapping.Pages.POPULATED_NONZERO);
        }
        if (name.startsWith("/memfd:") || name.startsWith("/SYSV")) {
            throw new CaptureRefusedException("mapping " + m + " is a memfd or System V shared memory segment, "
                    + "which is not supported");
        }
        if (!name.startsWith("/")) {
            throw new CaptureRefusedException("mapping " + m + " is of a kind that is not supported");
        }
        if (!m.shared() && isSpiceImage(name)) {
            // Memory a restorer mapped from another image: store it, so this image stands alone.
            return new PlannedMapping(m, VmaKind.ANON, flags, advice, ImageFormat.NONE, null,
                    PlannedMapping.Pages.ALL_NONZERO);
        }
        String link = String.format("/proc/%d/map_files/%x-%x", pid, m.start(), m.end());
        int file = files.add("mapped file", name, link, !m.shared());
        return new PlannedMapping(m, VmaKind.FILE, flags, advice, file, null,
                m.shared() ? PlannedMapping.Pages.NONE : PlannedMapping.Pages.COPIED_FROM_FILE);
    }

    private static PlannedMapping special(Mapping m, VmaKind kind) {
        return new PlannedMapping(m, kind, 0, 0, ImageFormat.NONE, null, PlannedMapping.Pages.NONE);
    }

    private static int advice(Set<String> f) {
        return (f.contains("dd") ? ImageFormat.ADV_DONTDUMP : 0) | (f.contains("dc") ? ImageFormat.ADV_DONTFORK : 0)
                | (f.contains("wf") ? ImageFormat.ADV_WIPEONFORK : 0) | (f.contains("hg") ? ImageFormat.ADV_HUGEPAGE : 0)
                | (f.contains("nh") ? ImageFormat.ADV_NOHUGEPAGE : 0);
    }

    private static boolean isSpiceImage(String path) {
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            return Arrays.equals(in.readNBytes(ImageFormat.MAGIC.length), ImageFormat.MAGIC);
        } catch (IOException e) {
            return false;
        }
    }
}
