package dev.spice.api;

import dev.spice.engine.Engine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** {@code GET /metrics} (Prometheus text format) and {@code GET /healthz}. */
final class StatusHandler {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Engine engine;

    StatusHandler(Engine engine) {
        this.engine = engine;
    }

    ApiResponse metrics(ApiRequest request) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        engine.writeMetrics(out);
        return ApiResponse.bytes(200, PROMETHEUS_TEXT, out.toByteArray());
    }

    ApiResponse health(ApiRequest request) {
        return ApiResponse.json(200, Json.object().put("status", "ok").put("service", "spice")
                .put("functions", engine.functions().size()));
    }
}
