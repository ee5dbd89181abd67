package dev.spice.image;

/**
 * The address range the restorer occupies inside a process while it rebuilds it (its code,
 * stack and the mapped metadata); no mapping of an image may overlap it. Must match
 * RESTORER_BASE and RESTORER_SIZE in restore/src/main/c/restorer.c.
 */
public final class RestorerRange {
    public static final long BASE = 0x2000_0000_0000L;
    public static final long SIZE = 0x1000_0000L;
    public static final long END = BASE + SIZE;

    private RestorerRange() {}

    public static boolean overlaps(long start, long end) {
        return start < END && BASE < end;
    }
}
