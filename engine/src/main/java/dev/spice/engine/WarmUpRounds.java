package dev.spice.engine;

import java.time.Duration;

/**
 * How long a deploy warms a function up: its warm-up events, in order, as rounds, as long as a
 * round still gets faster than the best before it by more than {@link #GAIN}, at most
 * {@link #MAX_ROUNDS} rounds and no round started after {@link #BUDGET}. One round leaves a JIT
 * (the JVM's C2, V8's TurboFan) short of the code a long run compiles: matmul's three small events
 * once left the restored instance 4.7x slower than its peak for its first six requests (727 ms,
 * then 153). An interpreter's second round is as fast as its first, so Python functions take two
 * or three. The bench's CRIU and VM modes warm up the same way.
 */
public final class WarmUpRounds {
    public static final int MAX_ROUNDS = 10;
    static final double GAIN = 0.1;
    static final Duration BUDGET = Duration.ofSeconds(20);

    /** One round: every warm-up event once, through whatever channel the caller has. */
    @FunctionalInterface
    public interface Round {
        void run() throws RuntimeChannel.ClosedException, RuntimeChannel.TimeoutException;
    }

    /** How many rounds ran and the fastest one. */
    public record Result(int rounds, long fastestNanos) {}

    private WarmUpRounds() {}

    /** Runs {@code round} (all warm-up events once) until it stops getting faster. */
    public static Result run(Round round) throws RuntimeChannel.ClosedException, RuntimeChannel.TimeoutException {
        long start = System.nanoTime(), best = Long.MAX_VALUE;
        int rounds = 0;
        while (rounds < MAX_ROUNDS && System.nanoTime() - start < BUDGET.toNanos()) {
            long roundStart = System.nanoTime();
            round.run();
            long took = System.nanoTime() - roundStart;
            rounds++;
            boolean faster = took < best * (1 - GAIN);
            best = Math.min(best, took);
            if (!faster && rounds > 1) {
                break;
            }
        }
        return new Result(rounds, best);
    }
}
