package dev.spice.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.engine.Engine;
import dev.spice.engine.FunctionInfo;
import dev.spice.engine.SnapshotInfo;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The engine's own function endpoints: {@code POST /functions} with {@code {"path": "/abs/dir"}}
 * deploys the function in that directory of the server's machine (201) if it lies under one of
 * the server's deploy roots (403 otherwise: a client must not make the server read any path), {@code GET /functions}
 * lists the deployed functions, {@code GET /functions/{name}} describes one and
 * {@code DELETE /functions/{name}} removes it (204). Descriptions use snake_case fields.
 */
final class FunctionsHandler {
    private static final int MAX_BODY = 64 * 1024;

    private final Engine engine;
    private final ApiSecurity security;

    FunctionsHandler(Engine engine, ApiSecurity security) {
        this.engine = engine;
        this.security = security;
    }

    ApiResponse deploy(ApiRequest request) throws IOException {
        Path dir = directory(request.body(MAX_BODY), request.style());
        if (!security.mayDeployFrom(dir)) {
            throw new ApiException(request.style().error(403, "AccessDeniedException", security.deployRoots().isEmpty()
                    ? "this server deploys by path from no directory (spice serve --deploy-root DIR)"
                    : dir + " is not under a deploy root of this server (" + security.deployRoots() + ")"));
        }
        return ApiResponse.json(201, describe(engine.deploy(dir)));
    }

    ApiResponse list(ApiRequest request) {
        ArrayNode list = Json.MAPPER.createArrayNode();
        engine.functions().forEach(f -> list.add(describe(f)));
        return ApiResponse.json(200, list);
    }

    ApiResponse get(ApiRequest request) {
        String name = request.param("name");
        FunctionInfo f = engine.function(name).orElseThrow(() -> JsonErrors.functionNotFound(request.style(), name));
        return ApiResponse.json(200, describe(f));
    }

    ApiResponse delete(ApiRequest request) {
        String name = request.param("name");
        if (!engine.delete(name)) {
            throw JsonErrors.functionNotFound(request.style(), name);
        }
        return ApiResponse.empty(204);
    }

    /** The directory named by a deploy request; it must be absolute, since the server's working directory is not the client's. */
    private static Path directory(byte[] body, JsonErrors.Style style) {
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw JsonErrors.badRequest(style, "the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw JsonErrors.badRequest(style, "the body cannot be read: " + e.getMessage());
        }
        JsonNode path = json == null ? null : json.get("path");
        if (path == null || !path.isTextual() || path.asText().isEmpty()) {
            throw JsonErrors.badRequest(style, "the body must be {\"path\": \"/absolute/function/directory\"}");
        }
        try {
            Path dir = Path.of(path.asText());
            if (!dir.isAbsolute()) {
                throw JsonErrors.badRequest(style, "'path' must be absolute: " + path.asText());
            }
            return dir;
        } catch (InvalidPathException e) {
            throw JsonErrors.badRequest(style, "'path' is not a valid path: " + e.getMessage());
        }
    }

    static ObjectNode describe(FunctionInfo f) {
        ObjectNode d = Json.object().put("name", f.name()).put("runtime", f.runtime()).put("handler", f.handler())
                .put("memory_mb", f.memoryMb()).put("timeout_s", f.timeoutS())
                .put("max_concurrency", f.maxConcurrency()).put("version", f.version())
                .put("deployed_at", f.deployedAt().toString()).put("code_bytes", f.codeBytes())
                .put("code_sha256", f.codeSha256());
        SnapshotInfo s = f.snapshot();
        if (s == null) {
            d.putNull("snapshot");
        } else {
            d.putObject("snapshot").put("image_bytes", s.imageBytes()).put("stored_pages", s.storedPages())
                    .put("capture_ms", Math.round(s.captureTime().toNanos() / 1e3) / 1e3)
                    .put("working_set_pages", s.workingSetPages())
                    .put("working_set_written_pages", s.workingSetWrittenPages());
        }
        d.put("snapshot_problem", f.snapshotProblem());
        return d;
    }
}
