package dev.spice.capture;

import dev.spice.image.VmaKind;
import dev.spice.sys.proc.Mapping;

/** A mapping of the process, classified: how it is rebuilt and which of its pages are stored. */
record PlannedMapping(Mapping mapping, VmaKind kind, int flags, int advice, int file, String anonName,
        Pages pages) {

    /** Which pages of a mapping go into the image. */
    enum Pages {
        /** None: the backing file or the kernel provides them. */
        NONE,
        /** Populated pages of private memory; pages of zeros are left out. */
        POPULATED_NONZERO,
        /** Pages that were copied on write from the file (they may even be zeros). */
        COPIED_FROM_FILE,
        /** Every page of the range, populated or not; pages of zeros are left out. */
        ALL_NONZERO
    }
}
