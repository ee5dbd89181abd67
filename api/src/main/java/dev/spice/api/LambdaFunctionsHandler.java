package dev.spice.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.engine.Engine;
import dev.spice.engine.FunctionInfo;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The Lambda API's read-only function endpoints: {@code GET /2015-03-31/functions}
 * (ListFunctions, every function in one page) and {@code GET /2015-03-31/functions/{name}}
 * (GetFunction).
 */
final class LambdaFunctionsHandler {
    /** Lambda's LastModified format, as in 2026-11-22T21:00:00.000+0000. */
    private static final DateTimeFormatter LAST_MODIFIED =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);

    private final Engine engine;

    LambdaFunctionsHandler(Engine engine) {
        this.engine = engine;
    }

    ApiResponse list(ApiRequest request) {
        ObjectNode body = Json.object();
        ArrayNode functions = body.putArray("Functions");
        engine.functions().forEach(f -> functions.add(configuration(f)));
        body.putNull("NextMarker");
        return ApiResponse.json(200, body);
    }

    ApiResponse get(ApiRequest request) {
        String name = LambdaArns.functionName(request.param("name"));
        FunctionInfo f = engine.function(name).orElseThrow(() -> JsonErrors.functionNotFound(request.style(), name));
        ObjectNode body = Json.object();
        body.set("Configuration", configuration(f));
        body.putObject("Code").put("RepositoryType", "S3").put("Location", "");
        return ApiResponse.json(200, body);
    }

    /** A FunctionConfiguration, as ListFunctions and GetFunction return it. */
    static ObjectNode configuration(FunctionInfo f) {
        ObjectNode c = Json.object().put("FunctionName", f.name()).put("FunctionArn", LambdaArns.function(f.name()))
                .put("Runtime", f.runtime()).put("Handler", f.handler()).put("MemorySize", f.memoryMb())
                .put("Timeout", f.timeoutS()).put("LastModified", LAST_MODIFIED.format(f.deployedAt()))
                .put("Version", "$LATEST").put("CodeSize", f.codeBytes()).put("Description", "")
                .put("PackageType", "Zip").put("State", "Active").put("LastUpdateStatus", "Successful");
        c.putArray("Architectures").add("x86_64");
        ObjectNode variables = c.putObject("Environment").putObject("Variables");
        f.env().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(e -> variables.put(e.getKey(), e.getValue()));
        return c;
    }
}
