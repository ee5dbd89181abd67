package dev.spice.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The disks that files live on, as cgroup io limits name them: MAJ:MIN of the whole disk, not a partition. */
final class BlockDevices {
    private static final Path SYS_DEV_BLOCK = Path.of("/sys/dev/block");

    private BlockDevices() {}

    /** The distinct disks under {@code paths}; a path on no block device (tmpfs, overlay) adds none. */
    static List<String> disksOf(List<Path> paths) {
        Set<String> disks = new LinkedHashSet<>();
        for (Path p : paths) {
            try {
                long dev = (Long) Files.getAttribute(p, "unix:dev");
                // glibc's major()/minor() of a dev_t
                long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
                long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
                Path sys = SYS_DEV_BLOCK.resolve(major + ":" + minor);
                if (Files.exists(sys.resolve("partition"))) {
                    disks.add(Files.readString(sys.resolve("../dev")).strip());   // the partition's disk
                } else if (Files.exists(sys)) {
                    disks.add(major + ":" + minor);
                }
            } catch (IOException | UnsupportedOperationException e) {
                // not a file on a disk we can name: nothing to throttle there
            }
        }
        return List.copyOf(disks);
    }
}
