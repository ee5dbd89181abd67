package dev.spice.runtime;

import java.lang.reflect.Field;
import java.security.SecureRandom;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gives an instance restored from a snapshot random state of its own: every instance restored
 * from one image would otherwise draw the same "random" numbers. The shim owns no generator
 * itself; it reseeds those of the JDK that any code reaches through static state (reflection
 * into java.base, opened to the shim by the JVM's --add-opens flags):
 * <ul>
 *   <li>Math.random()'s Random and Collections.shuffle()'s;</li>
 *   <li>ThreadLocalRandom: the seed of every live thread that has used it, and the seeder that
 *       threads using it later start from;</li>
 *   <li>new SplittableRandom()'s default generator;</li>
 *   <li>the SecureRandoms of UUID.randomUUID() and of the JCA's default (key generation,
 *       signatures, TLS), which get the fresh entropy mixed in (SecureRandom.setSeed adds to a
 *       generator's state, never replaces it).</li>
 * </ul>
 * Not reachable: generators the function created and keeps (new Random(), a SHA1PRNG or DRBG
 * SecureRandom in a field) and values already drawn (a UUID or a key made at init). As with Lambda
 * SnapStart, the function reseeds those in a CRaC afterRestore hook (docs/java-functions.md).
 */
final class Reseeder {
    private Reseeder() {}

    /** Reseeds from the engine's 32 bytes; returns what could not be reseeded, empty if all was. */
    static String reseed(byte[] entropy) {
        SplittableRandom seeds = new SplittableRandom(java.nio.ByteBuffer.wrap(entropy).getLong());
        StringBuilder problems = new StringBuilder();
        for (String[] field : RANDOMS) {
            try {
                Object value = field(field[0], field[1]).get(null);
                if (value instanceof SecureRandom s) {
                    s.setSeed(entropy);
                } else if (value instanceof Random r) {
                    r.setSeed(seeds.nextLong());
                } else if (value instanceof AtomicLong a) {
                    a.set(seeds.nextLong());
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                problems.append(field[0]).append('.').append(field[1]).append(": ").append(e).append('\n');
            }
        }
        try {
            Field seed = field("java.lang.Thread", "threadLocalRandomSeed");
            Field probe = field("java.lang.Thread", "threadLocalRandomProbe");
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (probe.getInt(t) != 0) {                   // 0: not used yet; it will start from the seeder
                    seed.setLong(t, seeds.nextLong());
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            problems.append("ThreadLocalRandom's thread seeds: ").append(e).append('\n');
        }
        return problems.toString();
    }

    /** Static fields that hold the JDK's shared generators: class, field. */
    private static final String[][] RANDOMS = {
        {"java.lang.Math$RandomNumberGeneratorHolder", "randomNumberGenerator"},
        {"java.util.Collections", "r"},
        {"java.util.concurrent.ThreadLocalRandom", "seeder"},
        {"java.util.SplittableRandom", "defaultGen"},
        {"java.util.UUID$Holder", "numberGenerator"},
        {"sun.security.jca.JCAUtil", "def"},
        {"sun.security.jca.JCAUtil$CachedSecureRandomHolder", "instance"},
    };

    private static Field field(String className, String name) throws ReflectiveOperationException {
        Field f = Class.forName(className, true, null).getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
