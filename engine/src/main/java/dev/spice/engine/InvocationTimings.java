package dev.spice.engine;

import dev.spice.restore.RestoreTimings;
import java.util.Locale;

/**
 * Where an invocation spent its time, in nanoseconds: waiting for a free instance; starting one
 * (restore or boot; zero for a warm instance, with the restore's own phases in {@code restore});
 * and the request itself, from sending it to the response, of which the handler ran
 * {@code handlerNanos} by the runtime's count. For the first invocation of a new instance, the
 * page faults it took (minor: the page was in memory; major: it was read from disk); -1 otherwise.
 */
public record InvocationTimings(long totalNanos, long queueNanos, long startNanos, RestoreTimings restore,
        long responseNanos, long handlerNanos, long minorFaults, long majorFaults) {

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "total %.3f ms", ms(totalNanos)));
        if (queueNanos > 100_000) {
            s.append(String.format(Locale.ROOT, " = queue %.3f +", ms(queueNanos)));
        } else {
            s.append(" =");
        }
        if (restore != null) {
            s.append(String.format(Locale.ROOT, " restore %.3f (validation %.3f, process creation %.3f, "
                    + "address space %.3f, memory mapping %.3f, state %.3f, report %.3f) +", ms(startNanos),
                    ms(restore.validation()), ms(restore.processCreation()), ms(restore.addressSpace()),
                    ms(restore.memory()), ms(restore.state()), ms(restore.report())));
        } else if (startNanos > 0) {
            s.append(String.format(Locale.ROOT, " boot %.3f +", ms(startNanos)));
        }
        s.append(String.format(Locale.ROOT, " first response %.3f (handler %.3f)", ms(responseNanos),
                ms(handlerNanos)));
        if (minorFaults >= 0) {
            s.append(String.format(Locale.ROOT, "; page faults: %d minor, %d major", minorFaults, majorFaults));
        }
        return s.toString();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
