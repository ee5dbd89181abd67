package dev.spice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spice.api.ApiCredentials;
import dev.spice.api.SigV4;
import dev.spice.engine.EngineException;
import dev.spice.engine.FunctionInfo;
import dev.spice.engine.SnapshotInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The engine commands' view of a running spice server, through its HTTP API. It speaks through
 * the JDK's HttpURLConnection: for one request from a command that lives a fraction of a second,
 * java.net.http's client costs about 100 ms more (it sets up TLS even for plain HTTP, and the
 * JVM's exit waits up to 300 ms for its selector thread, which sits in native code).
 */
final class RemoteEngine {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PROBE = Duration.ofMillis(300), CONNECT = Duration.ofSeconds(2);

    /** What an invocation through the server returned. */
    record Invocation(byte[] payload, String errorType, String log, String path, String timings) {}

    private record Response(int status, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(h -> name.equalsIgnoreCase(h.getKey()))
                    .map(h -> h.getValue().getFirst()).findFirst().orElse(null);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                return JSON.createObjectNode();
            }
        }
    }

    /** Lambda's region names the scope of our signatures; the server takes the region from the signature. */
    private static final String REGION = "us-east-1";

    private final URI base;
    private final ApiCredentials.Key key;

    private RemoteEngine(URI base, ApiCredentials.Key key) {
        this.base = base;
        this.key = key;
    }

    /**
     * A server at {@code base} if its health check answers; otherwise null, or an error when it
     * must be there. Requests are signed with {@code key} (AWS Signature V4), unless it is null.
     */
    static RemoteEngine connect(URI base, boolean required, ApiCredentials.Key key) {
        RemoteEngine r = new RemoteEngine(base, key);
        try {
            Response health = r.exchange("GET", "/healthz", Map.of(), null, PROBE);
            if (health.status() == 200 && new String(health.body(), StandardCharsets.UTF_8).contains("spice")) {
                return r;
            }
        } catch (IOException e) {
            if (required) {
                throw new EngineException("no spice server at " + base + " (" + describe(e) + ")");
            }
            return null;
        }
        if (required) {
            throw new EngineException(base + " is not a spice server");
        }
        return null;
    }

    FunctionInfo deploy(Path dir) {
        String body = JSON.createObjectNode().put("path", dir.toAbsolutePath().toString()).toString();
        return toInfo(send("POST", "/functions", Map.of("Content-Type", "application/json"),
                body.getBytes(StandardCharsets.UTF_8)).json());
    }

    List<FunctionInfo> functions() {
        List<FunctionInfo> result = new ArrayList<>();
        send("GET", "/functions", Map.of(), null).json().forEach(f -> result.add(toInfo(f)));
        return result;
    }

    Invocation invoke(String name, byte[] payload, boolean cold) {
        Response r = send("POST", "/2015-03-31/functions/" + name + "/invocations",
                Map.of("X-Amz-Log-Type", "Tail", "X-Spice-Cold", Boolean.toString(cold)), payload);
        String tail = r.header("X-Amz-Log-Result");
        String log = tail == null ? "" : new String(Base64.getDecoder().decode(tail), StandardCharsets.UTF_8);
        String errorType = r.header("X-Amz-Function-Error") == null ? null
                : r.json().path("errorType").asText("Unhandled");
        String path = r.header("X-Spice-Path"), timings = r.header("X-Spice-Timings");
        return new Invocation(r.body(), errorType, log, path != null ? path : "?", timings != null ? timings : "");
    }

    private Response send(String method, String path, Map<String, String> headers, byte[] body) {
        Response r;
        try {
            r = exchange(method, path, headers, body, null);
        } catch (IOException e) {
            throw new EngineException("request to " + base + " failed: " + describe(e));
        }
        if (r.status() >= 400) {
            JsonNode error = r.json();
            String message = error.has("message") ? error.get("message").asText()
                    : error.has("error") ? error.get("error").asText() : new String(r.body(), StandardCharsets.UTF_8);
            String hint = r.status() == 403 ? (key == null ? "; no credentials to sign with: set " + ServerCredentials.ENV
                    + "=KEY_ID:SECRET or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" : "; signed with key " + key) : "";
            throw new EngineException(message + " (HTTP " + r.status() + " from " + base + hint + ")");
        }
        return r;
    }

    /** One request; {@code timeout} bounds the whole exchange (null: only the connection). */
    private Response exchange(String method, String path, Map<String, String> headers, byte[] body, Duration timeout)
            throws IOException {
        URI uri = base.resolve(path);
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        try {
            c.setRequestMethod(method);
            if (key != null) {
                SigV4.sign(key, REGION, method, uri.getRawAuthority(), uri.getRawPath(), uri.getRawQuery(),
                        body != null ? body : new byte[0], Instant.now()).forEach(c::setRequestProperty);
            }
            c.setConnectTimeout((int) (timeout != null ? timeout : CONNECT).toMillis());
            if (timeout != null) {
                c.setReadTimeout((int) timeout.toMillis());
            }
            headers.forEach(c::setRequestProperty);
            if (body != null) {
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(body.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            byte[] answer = in == null ? new byte[0] : in.readAllBytes();
            return new Response(status, c.getHeaderFields(), answer);
        } finally {
            c.disconnect();
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
