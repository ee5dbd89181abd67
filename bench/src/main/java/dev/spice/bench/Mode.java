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
    CRIU_COLD;

    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    boolean cold() {
        return this == SPICE_COLD || this == CRIU_COLD;
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
        return List.of(values());
    }
}
