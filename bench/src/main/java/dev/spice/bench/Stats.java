package dev.spice.bench;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;

/** Order statistics of measurements. */
final class Stats {
    private Stats() {}

    /** The q-quantile (0..1) by the nearest-rank method; 0 for no values. */
    static long quantile(List<Measurement> ms, ToLongFunction<Measurement> f, double q) {
        long[] values = ms.stream().mapToLong(f).sorted().toArray();
        if (values.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * values.length);
        return values[Math.max(0, Math.min(values.length - 1, rank - 1))];
    }

    static long median(List<Measurement> ms, ToLongFunction<Measurement> f) {
        return median(ms.stream().mapToLong(f).toArray());
    }

    /** The median (mean of the middle two for an even count); 0 for no values. */
    static long median(long[] values) {
        if (values.length == 0) {
            return 0;
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
