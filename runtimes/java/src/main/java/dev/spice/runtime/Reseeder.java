package dev.spice.runtime;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
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
 * A holder class that no code has initialised yet holds no state: it is left alone (initialising
 * it would make a SecureRandom and load the security providers, a few hundred milliseconds of the
 * first request), and it seeds itself freshly when first used after the restore.
 *
 * <p>Not reachable: generators the function created and keeps (new Random(), a SHA1PRNG or DRBG
 * SecureRandom in a field) and values already drawn (a UUID or a key made at init). As with Lambda
 * SnapStart, the function reseeds those in a CRaC afterRestore hook (docs/java-functions.md).
 */
final class Reseeder {
    private Reseeder() {}

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

    /**
     * The reflective handles, looked up once. {@link Main} also reseeds once at prepare, with
     * entropy of its own: the lookups and their accessors are then made and linked in the image,
     * and the first request after a restore only runs them (tens of milliseconds otherwise).
     */
    private static final Field[] FIELDS = new Field[RANDOMS.length];
    private static final Field THREAD_SEED, THREAD_PROBE;
    private static final Object UNSAFE;
    private static final Method SHOULD_BE_INITIALIZED;
    private static final String LOOKUP_PROBLEM;

    static {
        Field seed = null, probe = null;
        Object unsafe = null;
        Method shouldBeInitialized = null;
        String problem = "";
        try {
            for (int i = 0; i < RANDOMS.length; i++) {
                FIELDS[i] = Class.forName(RANDOMS[i][0], false, null).getDeclaredField(RANDOMS[i][1]);
                FIELDS[i].setAccessible(true);
            }
            seed = Thread.class.getDeclaredField("threadLocalRandomSeed");
            probe = Thread.class.getDeclaredField("threadLocalRandomProbe");
            seed.setAccessible(true);
            probe.setAccessible(true);
            Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
            unsafe = unsafeClass.getMethod("getUnsafe").invoke(null);
            shouldBeInitialized = unsafeClass.getMethod("shouldBeInitialized", Class.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            problem = "cannot reach the JDK's generators (are the JVM's --add-opens flags missing?): " + e + "\n";
        }
        THREAD_SEED = seed;
        THREAD_PROBE = probe;
        UNSAFE = unsafe;
        SHOULD_BE_INITIALIZED = shouldBeInitialized;
        LOOKUP_PROBLEM = problem;
    }

    /** Reseeds from 32 bytes of entropy; returns what could not be reseeded, empty if all was. */
    static String reseed(byte[] entropy) {
        if (!LOOKUP_PROBLEM.isEmpty()) {
            return LOOKUP_PROBLEM;
        }
        SplittableRandom seeds = new SplittableRandom(ByteBuffer.wrap(entropy).getLong());
        StringBuilder problems = new StringBuilder();
        for (int i = 0; i < FIELDS.length; i++) {
            try {
                // A holder no code has initialised holds no state yet, and initialising it would
                // make a SecureRandom and load the security providers (a few hundred ms).
                if ((boolean) SHOULD_BE_INITIALIZED.invoke(UNSAFE, FIELDS[i].getDeclaringClass())) {
                    continue;
                }
                Object value = FIELDS[i].get(null);
                if (value instanceof SecureRandom s) {
                    s.setSeed(entropy);
                } else if (value instanceof Random r) {
                    r.setSeed(seeds.nextLong());
                } else if (value instanceof AtomicLong a) {
                    a.set(seeds.nextLong());
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                problems.append(RANDOMS[i][0]).append('.').append(RANDOMS[i][1]).append(": ").append(e).append('\n');
            }
        }
        try {
            for (Thread t : liveThreads()) {
                if (t != null && THREAD_PROBE.getInt(t) != 0) { // 0: not used yet; it will start from the seeder
                    THREAD_SEED.setLong(t, seeds.nextLong());
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            problems.append("ThreadLocalRandom's thread seeds: ").append(e).append('\n');
        }
        return problems.toString();
    }

    /** The platform threads of the root thread group (unlike Thread.getAllStackTraces, no safepoint). */
    private static Thread[] liveThreads() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16];
        root.enumerate(threads);
        return threads;
    }
}
