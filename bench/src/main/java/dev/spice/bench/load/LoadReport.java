package dev.spice.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The result of a load test as a Markdown table and the checks below it. */
final class LoadReport {
    private LoadReport() {}

    static String render(LoadTest.Result r) {
        StringBuilder out = new StringBuilder();
        double seconds = r.measured().toNanos() / 1e9;
        out.append(String.format(Locale.ROOT, "Load test: %.1f s; latency from request sent to answer received, "
                + "in milliseconds; throughput in answers per second.%n%n", seconds));
        out.append("| function | max_concurrency | clients | requests | answered | 429 | lost | duplicated | mismatched "
                + "| p50 | p99 | max | answers/s |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (FunctionLoad l : r.loads()) {
            out.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s | %.1f |%n",
                    l.function.name(), l.function.maxConcurrency(), l.clients, l.requests.get(), l.ok.get(),
                    l.throttled.get(), l.lost.get(), l.duplicated.get(), l.mismatched.get(), ms(l.latencyMs(0.5)),
                    ms(l.latencyMs(0.99)), ms(l.latencyMs(1)), l.ok.get() / seconds));
        }
        out.append(String.format(Locale.ROOT, "%nServer: %d descriptors before the load, %d after it (idle instances "
                        + "evicted; at most %d more allowed); exit code %d after SIGTERM; processes left in its session: %s; "
                        + "cgroups left: %s.%n", r.fdsBefore(), r.fdsAfter(), LoadTest.FD_SLACK, r.serverExit(),
                r.processesLeft().isEmpty() ? "none" : r.processesLeft(), r.cgroupsLeft().isEmpty() ? "none" : r.cgroupsLeft()));
        for (FunctionLoad l : r.loads()) {
            out.append(String.format("%s: the server counted %d invocations.%n", l.function.name(), l.serverInvocations));
        }
        out.append(r.failures().isEmpty() ? "\nAll checks passed.\n" : "\nFAILED:\n- " + String.join("\n- ", r.failures()) + "\n");
        return out.toString();
    }

    static void write(LoadTest.Result r, Path file) throws IOException {
        Files.writeString(file, render(r));
    }

    private static String ms(double ms) {
        return ms >= 100 ? String.format(Locale.ROOT, "%.0f", ms) : String.format(Locale.ROOT, "%.2f", ms);
    }
}
