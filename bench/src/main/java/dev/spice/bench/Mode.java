package dev.spice.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** How an invocation is measured; every mode ends with the function's response. */
enum Mode {
    /** An idle instance is waiting. */
    WARM,
    /** No snapshot: start the runtime, import, first invocation. */
    BOOT,
    /** Restore from the snapshot with the image in the page cache. */
    SPICE_HOT,
    /** Restore from the snapshot after evicting every instance and dropping the page cache. */
    SPICE_COLD,
    /** CRIU 4.x: criu restore of a dump of the same prepared instance, page cache hot. */
    CRIU_HOT,
    /** The same after dropping the page cache. */
    CRIU_COLD,
    /**
     * A VM snapshot of the same prepared runtime in a small guest, restored by QEMU after
     * dropping the page cache, its memory file mapped private and faulted in lazily
     * (Firecracker's MAP_PRIVATE restore).
     */
    VM_COLD,
    /** The same with the recorded working set read into the page cache before the guest resumes (REAP's prefetch). */
    VM_WS,
    /**
     * The VM restore with the memory file in the page cache: what the VM costs besides reading
     * from disk (under TCG, mostly translating the guest's code again).
     */
    VM_HOT;

    /** The default: every mode but the VM ones, which need a guest built once (scripts/vm-setup.sh) and are opt-in. */
    private static final List<Mode> DEFAULT = List.of(WARM, BOOT, SPICE_HOT, SPICE_COLD, CRIU_HOT, CRIU_COLD);

    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The report's name of the mode: the VM modes name the accelerator, as a TCG number is not one of KVM. */
    String header() {
        return vm() ? label() + " (" + Accelerator.detect().note + ")" : label();
    }

    boolean cold() {
        return this == SPICE_COLD || this == CRIU_COLD || this == VM_COLD || this == VM_WS;
    }

    boolean vm() {
        return this == VM_COLD || this == VM_WS || this == VM_HOT;
    }

    boolean criu() {
        return this == CRIU_HOT || this == CRIU_COLD;
    }

    static Mode parse(String label) {
        return Arrays.stream(values()).filter(m -> m.label().equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown mode " + label + " (modes: "
                        + Arrays.stream(values()).map(Mode::label).toList() + ")"));
    }

    static List<Mode> all() {
        return DEFAULT;
    }
}
