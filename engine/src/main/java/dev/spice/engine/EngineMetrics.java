package dev.spice.engine;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/** The engine's Prometheus metrics (GET /metrics). */
final class EngineMetrics {
    /** Latency buckets from 0.25 ms to 30 s: restores and warm invocations are sub-millisecond to milliseconds. */
    private static final double[] BUCKETS = {0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
        1, 2, 5, 10, 30};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter invocations = Counter.builder().name("spice_invocations_total")
            .help("Invocations, by function and by how the instance was obtained (warm, restored, booted)")
            .labelNames("function", "path").register(registry);
    private final Counter errors = Counter.builder().name("spice_invocation_errors_total")
            .help("Failed invocations, by kind: handler (the function raised), timeout, runtime (the instance died), "
                    + "throttled (no instance free in time)")
            .labelNames("function", "kind").register(registry);
    private final Counter restoreFallbacks = Counter.builder().name("spice_restore_fallbacks_total")
            .help("Restores that failed, after which the function was booted from scratch")
            .labelNames("function").register(registry);
    private final Counter evictions = Counter.builder().name("spice_evictions_total")
            .help("Idle instances evicted after their keep-alive").labelNames("function").register(registry);
    private final Counter deployments = Counter.builder().name("spice_deployments_total")
            .help("Successful deployments").labelNames("function").register(registry);
    private final Histogram latency = Histogram.builder().name("spice_invocation_duration_seconds")
            .help("Invocation latency from request to response, by path").labelNames("function", "path")
            .classicOnly().classicUpperBounds(BUCKETS).register(registry);
    private final Histogram startup = Histogram.builder().name("spice_instance_start_seconds")
            .help("Time to start an instance, by path (restored or booted)").labelNames("function", "path")
            .classicOnly().classicUpperBounds(BUCKETS).register(registry);

    EngineMetrics(Supplier<Collection<FunctionState>> functions, Supplier<Collection<Instance>> instances) {
        GaugeWithCallback.builder().name("spice_instances").help("Instances, by state (idle or busy)")
                .labelNames("function", "state").callback(cb -> {
                    for (FunctionState f : functions.get()) {
                        cb.call(f.pool().idleCount(), f.name(), "idle");
                        cb.call(f.pool().busyCount(), f.name(), "busy");
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("spice_instance_memory_bytes")
                .help("Memory charged to the instances' cgroups").labelNames("function").callback(cb -> {
                    Map<String, Long> bytes = new TreeMap<>();
                    for (Instance i : instances.get()) {
                        bytes.merge(i.deployment.name(), i.memoryBytes(), Long::sum);
                    }
                    bytes.forEach((name, total) -> cb.call(total, name));
                }).register(registry);
    }

    void invoked(String function, InvocationPath path, long nanos) {
        invocations.labelValues(function, path.label()).inc();
        latency.labelValues(function, path.label()).observe(nanos / 1e9);
    }

    void started(String function, InvocationPath path, long nanos) {
        startup.labelValues(function, path.label()).observe(nanos / 1e9);
    }

    void failed(String function, String kind) {
        errors.labelValues(function, kind).inc();
    }

    void restoreFellBack(String function) {
        restoreFallbacks.labelValues(function).inc();
    }

    void evicted(String function, int count) {
        evictions.labelValues(function).inc(count);
    }

    void deployed(String function) {
        deployments.labelValues(function).inc();
    }

    void write(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }
}
