package dev.spice.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How QEMU runs the benchmark's guest: KVM when /dev/kvm is there and ours, TCG (QEMU's
 * instruction translator) otherwise. A TCG number is no fair stand-in for Firecracker on KVM,
 * so the report names the accelerator next to every VM mode.
 */
enum Accelerator {
    KVM("QEMU/KVM"),
    TCG("QEMU/TCG, no KVM on this host");

    private static final Path DEV_KVM = Path.of("/dev/kvm");
    final String note;

    Accelerator(String note) {
        this.note = note;
    }

    static Accelerator detect() {
        return Files.isReadable(DEV_KVM) && Files.isWritable(DEV_KVM) ? KVM : TCG;
    }

    /** QEMU's options for this accelerator: the host's CPU model under KVM; under TCG the "max" model (it has RDRAND, which seeds the guest's random generator at once). */
    List<String> qemuOptions() {
        return this == KVM ? List.of("-accel", "kvm", "-cpu", "host") : List.of("-accel", "tcg", "-cpu", "max");
    }
}
