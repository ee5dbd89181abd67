package dev.spice.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * QEMU's command lines for the VM baseline. The guest's RAM is a file, {@code memory}: the VM
 * that is booted and snapshotted maps it shared (its RAM is the file, so the migration stream
 * leaves it out with the x-ignore-shared capability), a restored VM maps it private (share=off:
 * MAP_PRIVATE, pages read from the file on first touch, written ones copied), as Firecracker
 * maps its memory file. Two sockets QEMU inherits: fd 3 is the guest's virtio-serial port
 * "spice" (the runtime channel), fd 4 QEMU's monitor (QMP). The root file system and the
 * function's code disk are read-only virtio-blk disks; no network, no display.
 *
 * @param nice the niceness QEMU runs with (0: none)
 */
record QemuCommand(Path qemu, Accelerator accelerator, VmGuest guest, Path codeDisk, Path memory, long memoryBytes,
        int nice) {
    static final int CHANNEL_FD = 3, MONITOR_FD = 4;
    static final String KERNEL_ARGS = "console=ttyS0 root=/dev/vda ro init=/sbin/spice-vm-init panic=-1 quiet";

    /** Boots the guest with a fresh shared memory file; the guest's console goes to {@code console}. */
    List<String> boot(Path console) {
        List<String> argv = common(true);
        argv.addAll(List.of("-kernel", guest.kernel().toString(), "-initrd", guest.initrd().toString(),
                "-append", KERNEL_ARGS, "-serial", "file:" + console));
        return argv;
    }

    /**
     * Waits, paused (-S), for a migration stream (migrate-incoming) and maps the memory file
     * private. No kernel: the guest's memory has it already.
     */
    List<String> restore() {
        List<String> argv = common(false);
        argv.addAll(List.of("-serial", "null", "-incoming", "defer", "-S"));
        return argv;
    }

    private List<String> common(boolean shared) {
        List<String> argv = new ArrayList<>();
        if (nice != 0) {
            argv.addAll(List.of("/usr/bin/nice", "-n", Integer.toString(nice)));
        }
        String size = memoryBytes / (1 << 20) + "M";
        argv.addAll(List.of(qemu.toString(), "-name", "spice-bench-vm", "-nodefaults", "-no-user-config",
                "-display", "none", "-no-reboot", "-machine", "q35,memory-backend=ram", "-m", size, "-smp", "1",
                "-object", "memory-backend-file,id=ram,size=" + size + ",mem-path=" + memory + ",share="
                        + (shared ? "on" : "off")));
        argv.addAll(accelerator.qemuOptions());
        argv.addAll(List.of(
                "-drive", "file=" + guest.rootfs() + ",if=none,id=root,format=raw,readonly=on",
                "-device", "virtio-blk-pci,drive=root",
                "-drive", "file=" + codeDisk + ",if=none,id=code,format=raw,readonly=on",
                "-device", "virtio-blk-pci,drive=code",
                "-device", "virtio-serial-pci",
                "-chardev", "socket,id=channel,fd=" + CHANNEL_FD,
                "-device", "virtserialport,chardev=channel,name=spice",
                "-chardev", "socket,id=monitor,fd=" + MONITOR_FD,
                "-mon", "chardev=monitor,mode=control"));
        return argv;
    }
}
