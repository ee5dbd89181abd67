package dev.spice.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** The benchmark's guest as scripts/vm-setup.sh built it: a Debian cloud kernel, its initramfs, the root file system image. */
record VmGuest(Path kernel, Path initrd, Path rootfs) {
    static VmGuest in(Path cache) {
        VmGuest g = new VmGuest(cache.resolve("vmlinuz"), cache.resolve("initrd.img"), cache.resolve("rootfs.ext4"));
        for (Path p : new Path[] {g.kernel, g.initrd, g.rootfs}) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException("the VM guest is incomplete: no " + p + " (run scripts/vm-setup.sh)");
            }
        }
        return g;
    }
}
