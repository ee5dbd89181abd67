package dev.spice.restore;

import java.util.Locale;

/**
 * What a restore does with the image's working set before the process runs (restorer.c,
 * read_working_set() and populate_working_set()). READ and FULL queue no reads when the image's
 * part of the working set is already in the page cache (a hot restore).
 */
public enum Prefetch {
    /** Nothing: every page is faulted in when first touched. */
    NONE,
    /** Read the working set in one go and install page-table entries for all of it (cold). */
    READ,
    /** As READ, and copy the pages the process will write ahead of time (no copy-on-write faults). */
    FULL,
    /**
     * No prefetch, no read-around and no fault-around (every page of a file mapping or image run
     * is a mapping of its own): for recording a working set, where a fault must map the page
     * touched and nothing else.
     */
    RECORD;

    String argument() {
        return name().toLowerCase(Locale.ROOT);
    }
}
