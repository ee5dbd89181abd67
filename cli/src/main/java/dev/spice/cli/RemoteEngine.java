package dev.spice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spice.engine.EngineException;
import dev.spice.engine.FunctionInfo;
import dev.spice.engine.SnapshotInfo;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** The engine commands' view of a running spice server, through its HTTP API. */
final class RemoteEngine {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PROBE = Duration.ofMillis(300);

    /** What an invocation through the server returned. */
    record Invocation(byte[] payload, String errorType, String log, String path, String timings) {}

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private RemoteEngine(URI base) {
        this.base = base;
    }

    /** A server at {@code base} if its health check answers; otherwise null, or an error when it must be there. */
    static RemoteEngine connect(URI base, boolean required) {
        RemoteEngine r = new RemoteEngine(base);
        try {
            HttpResponse<String> health = r.http.send(HttpRequest.newBuilder(base.resolve("/healthz")).timeout(PROBE)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (health.statusCode() == 200 && health.body().contains("spice")) {
                return r;
            }
        } catch (IOException e) {
            if (required) {
                throw new EngineException("no spice server at " + base + " (" + describe(e) + ")");
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (required) {
            throw new EngineException(base + " is not a spice server");
        }
        return null;
    }

    FunctionInfo deploy(Path dir) {
        String body = JSON.createObjectNode().put("path", dir.toAbsolutePath().toString()).toString();
        JsonNode answer = json(send(HttpRequest.newBuilder(base.resolve("/functions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build()));
        return toInfo(answer);
    }

    List<FunctionInfo> functions() {
        JsonNode list = json(send(HttpRequest.newBuilder(base.resolve("/functions")).GET().build()));
        List<FunctionInfo> result = new ArrayList<>();
        list.forEach(f -> result.add(toInfo(f)));
        return result;
    }

    Invocation invoke(String name, byte[] payload, boolean cold) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/2015-03-31/functions/" + name + "/invocations"))
                .header("X-Amz-Log-Type", "Tail").header("X-Spice-Cold", Boolean.toString(cold))
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
        HttpResponse<byte[]> r = send(request);
        String log = r.headers().firstValue("X-Amz-Log-Result")
                .map(b -> new String(Base64.getDecoder().decode(b), StandardCharsets.UTF_8)).orElse("");
        String errorType = null;
        if (r.headers().firstValue("X-Amz-Function-Error").isPresent()) {
            errorType = json(r).path("errorType").asText("Unhandled");
        }
        return new Invocation(r.body(), errorType, log, r.headers().firstValue("X-Spice-Path").orElse("?"),
                r.headers().firstValue("X-Spice-Timings").orElse(""));
    }

    private HttpResponse<byte[]> send(HttpRequest request) {
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() >= 400) {
                JsonNode error = json(r);
                String message = error.has("message") ? error.get("message").asText()
                        : error.has("error") ? error.get("error").asText() : new String(r.body(), StandardCharsets.UTF_8);
                throw new EngineException(message + " (HTTP " + r.statusCode() + " from " + base + ")");
            }
            return r;
        } catch (IOException e) {
            throw new EngineException("request to " + base + " failed: " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted");
        }
    }

    private static JsonNode json(HttpResponse<byte[]> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static FunctionInfo toInfo(JsonNode f) {
        JsonNode s = f.path("snapshot");
        SnapshotInfo snapshot = s.isObject() ? new SnapshotInfo(s.path("image_bytes").asLong(),
                s.path("stored_pages").asLong(), Duration.ofMillis(s.path("capture_ms").asLong()),
                s.path("working_set_pages").asLong(), s.path("working_set_written_pages").asLong()) : null;
        return new FunctionInfo(f.path("name").asText(), f.path("runtime").asText(), f.path("handler").asText(),
                f.path("memory_mb").asInt(), f.path("timeout_s").asInt(), f.path("max_concurrency").asInt(), Map.of(),
                Instant.parse(f.path("deployed_at").asText(Instant.EPOCH.toString())), f.path("version").asText(),
                f.path("code_bytes").asLong(), snapshot, f.path("snapshot_problem").isNull() ? null
                        : f.path("snapshot_problem").asText(null), f.path("code_sha256").asText(null));
    }

    private static String describe(IOException e) {
        return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName() + " " + e.getMessage();
    }
}
