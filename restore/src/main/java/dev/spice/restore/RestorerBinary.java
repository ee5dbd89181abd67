package dev.spice.restore;

import dev.spice.sys.BundledExecutable;
import java.nio.file.Path;

/** The freestanding restorer, built by `make` into this module's resources (src/main/c). */
public final class RestorerBinary {
    private RestorerBinary() {}

    public static Path path() {
        return BundledExecutable.path(RestorerBinary.class, "native/spice-restorer");
    }
}
