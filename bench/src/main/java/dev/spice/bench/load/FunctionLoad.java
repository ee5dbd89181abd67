package dev.spice.bench.load;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** What the clients of one function saw: counts by outcome and the latencies of the answers. */
final class FunctionLoad {
    final LoadFunction function;
    final int clients;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong ok = new AtomicLong();
    /** 429 TooManyRequests: documented, so neither lost nor an error. */
    final AtomicLong throttled = new AtomicLong();
    final AtomicLong lost = new AtomicLong();
    final AtomicLong duplicated = new AtomicLong();
    final AtomicLong mismatched = new AtomicLong();
    final List<String> firstErrors = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> latenciesNanos = Collections.synchronizedList(new ArrayList<>());
    /** Invocations the server counted during the load (filled in afterwards). */
    long serverInvocations;

    FunctionLoad(LoadFunction function, int clients) {
        this.function = function;
        this.clients = clients;
    }

    void answered(long nanos) {
        ok.incrementAndGet();
        latenciesNanos.add(nanos);
    }

    void lost(String why) {
        lost.incrementAndGet();
        if (firstErrors.size() < 5) {
            firstErrors.add(why);
        }
    }

    /** The latency at quantile {@code q} (0-1, nearest rank) of the answers, in milliseconds; 0 without answers. */
    double latencyMs(double q) {
        List<Long> sorted;
        synchronized (latenciesNanos) {
            sorted = new ArrayList<>(latenciesNanos);
        }
        if (sorted.isEmpty()) {
            return 0;
        }
        Collections.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.clamp(rank - 1, 0, sorted.size() - 1)) / 1e6;
    }
}
