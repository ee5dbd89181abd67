package dev.spice.tests;

import java.util.Random;

/**
 * Where the fault tests strike: random points from a seed they print, so that a failing run can
 * be replayed with {@code -Dspice.fault.seed=S}; {@code -Dspice.fault.kills=N} draws more of them.
 */
final class FaultPoints {
    private FaultPoints() {}

    /** A random source for {@code test}, seeded by spice.fault.seed or the clock; the seed is printed. */
    static Random random(String test) {
        long seed = Long.getLong("spice.fault.seed", System.nanoTime());
        System.out.println(test + ": seed " + seed + " (-Dspice.fault.seed to replay)");
        return new Random(seed);
    }

    /** How many kills a test makes (default 6). */
    static int kills() {
        return Integer.getInteger("spice.fault.kills", 6);
    }
}
