package dev.spice.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.engine.Engine;
import dev.spice.engine.FunctionInfo;
import dev.spice.engine.FunctionStatus;
import dev.spice.engine.FunctionVersion;
import java.io.IOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Lambda API's function management: CreateFunction, GetFunction, GetFunctionConfiguration,
 * ListFunctions (paged), UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction,
 * PublishVersion and ListVersionsByFunction. Creates and updates return at once; the
 * deployment (boot, warm-up, snapshot) runs in the engine's background, and State /
 * LastUpdateStatus report it as Lambda does (docs/lambda-api.md).
 */
final class LambdaFunctionsHandler {
    /** Lambda's LastModified format, as in 2026-11-22T21:00:00.000+0000. */
    private static final DateTimeFormatter LAST_MODIFIED =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);
    /** ListFunctions' page size when MaxItems is not given, and its largest (Lambda's: 50). */
    static final int PAGE = 50;

    private final Engine engine;

    LambdaFunctionsHandler(Engine engine) {
        this.engine = engine;
    }

    ApiResponse create(ApiRequest request) throws IOException {
        LambdaRequests body = LambdaRequests.read(request);
        FunctionStatus s = engine.create(body.manifest(), body.zip(true));
        return ApiResponse.json(201, configuration(s));
    }

    ApiResponse updateCode(ApiRequest request) throws IOException {
        LambdaRequests body = LambdaRequests.read(request);
        FunctionStatus s = engine.update(name(request), body.zip(false), m -> m);
        return ApiResponse.json(200, configuration(s));
    }

    ApiResponse updateConfiguration(ApiRequest request) throws IOException {
        LambdaRequests body = LambdaRequests.read(request);
        FunctionStatus s = engine.update(name(request), null, body::configure);
        return ApiResponse.json(200, configuration(s));
    }

    ApiResponse delete(ApiRequest request) {
        String name = name(request);
        if (qualifier(request) != null) {
            throw JsonErrors.badRequest(request.style(), "Spice deletes a function with all its versions: "
                    + "leave out the Qualifier");
        }
        if (!engine.delete(name)) {
            throw JsonErrors.functionNotFound(request.style(), name);
        }
        return ApiResponse.empty(204);
    }

    ApiResponse get(ApiRequest request) {
        ObjectNode body = Json.object();
        body.set("Configuration", describe(request));
        body.putObject("Code").put("RepositoryType", "S3").put("Location", "");
        return ApiResponse.json(200, body);
    }

    ApiResponse getConfiguration(ApiRequest request) {
        return ApiResponse.json(200, describe(request));
    }

    /**
     * ListFunctions: by name (with FunctionVersion=ALL, each function's versions after it),
     * MaxItems (1-50) per page. A marker is the key of the entry the next page starts at, NAME,
     * or NAME,VERSION; ',' sorts below every character of a name, so keys sort as the list does
     * and a page after a deleted function still starts in the right place.
     */
    ApiResponse list(ApiRequest request) {
        boolean all = "ALL".equals(request.query("FunctionVersion"));
        List<ObjectNode> entries = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (FunctionStatus s : engine.statuses()) {
            entries.add(configuration(s));
            keys.add(s.info().name() + ",");
            if (all) {
                for (FunctionVersion v : engine.versions(s.info().name())) {
                    entries.add(version(v));
                    keys.add(s.info().name() + "," + "%010d".formatted(v.number()));
                }
            }
        }
        int max = maxItems(request);
        String marker = request.query("Marker");
        int from = 0;
        if (marker != null && !marker.isEmpty()) {
            while (from < keys.size() && keys.get(from).compareTo(marker) < 0) {
                from++;
            }
        }
        int to = Math.min(keys.size(), from + max);
        ObjectNode body = Json.object();
        ArrayNode functions = body.putArray("Functions");
        entries.subList(from, to).forEach(functions::add);
        if (to < keys.size()) {
            body.put("NextMarker", keys.get(to));
        } else {
            body.putNull("NextMarker");
        }
        return ApiResponse.json(200, body);
    }

    ApiResponse publish(ApiRequest request) {
        return ApiResponse.json(201, version(engine.publish(name(request))));
    }

    ApiResponse listVersions(ApiRequest request) {
        String name = name(request);
        FunctionStatus s = engine.status(name).orElseThrow(() -> JsonErrors.functionNotFound(request.style(), name));
        ObjectNode body = Json.object();
        ArrayNode versions = body.putArray("Versions");
        versions.add(configuration(s));
        engine.versions(name).forEach(v -> versions.add(version(v)));
        body.putNull("NextMarker");
        return ApiResponse.json(200, body);
    }

    /** The configuration GetFunction and GetFunctionConfiguration return: $LATEST's or a version's. */
    private ObjectNode describe(ApiRequest request) {
        String name = name(request);
        String qualifier = qualifier(request);
        if (qualifier == null || qualifier.equals(Engine.LATEST)) {
            return configuration(engine.status(name)
                    .orElseThrow(() -> JsonErrors.functionNotFound(request.style(), name)));
        }
        return engine.versions(name).stream().filter(v -> Integer.toString(v.number()).equals(qualifier))
                .findFirst().map(LambdaFunctionsHandler::version)
                .orElseThrow(() -> JsonErrors.functionNotFound(request.style(), name + ":" + qualifier));
    }

    private static String name(ApiRequest request) {
        return LambdaArns.functionName(request.param("name"));
    }

    /** The Qualifier query parameter, or the one in the name (NAME:QUALIFIER, an ARN with one). */
    static String qualifier(ApiRequest request) {
        String q = request.query("Qualifier");
        return q != null && !q.isEmpty() ? q : LambdaArns.qualifier(request.param("name"));
    }

    private static int maxItems(ApiRequest request) {
        String text = request.query("MaxItems");
        if (text == null) {
            return PAGE;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= PAGE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw JsonErrors.badRequest(request.style(), "1 validation error detected: Value '" + text
                + "' at 'maxItems' failed to satisfy constraint: Member must be between 1 and " + PAGE);
    }

    /** $LATEST's FunctionConfiguration, with its State and LastUpdateStatus. */
    static ObjectNode configuration(FunctionStatus s) {
        FunctionInfo f = s.info();
        ObjectNode c = fields(f, Engine.LATEST, LambdaArns.function(f.name()));
        switch (s.state()) {
            case PENDING -> c.put("State", "Pending").put("StateReason", "The function is being created.")
                    .put("StateReasonCode", "Creating");
            case ACTIVE -> c.put("State", "Active");
            case FAILED -> c.put("State", "Failed").put("StateReason", s.reason())
                    .put("StateReasonCode", "InvalidCode");
        }
        switch (s.lastUpdate()) {
            case IN_PROGRESS -> c.put("LastUpdateStatus", "InProgress")
                    .put("LastUpdateStatusReason", "The function is being updated.")
                    .put("LastUpdateStatusReasonCode", "Updating");
            case SUCCESSFUL -> c.put("LastUpdateStatus", "Successful");
            case FAILED -> c.put("LastUpdateStatus", "Failed").put("LastUpdateStatusReason", s.reason())
                    .put("LastUpdateStatusReasonCode", "InvalidCode");
        }
        return c;
    }

    /** A published version's FunctionConfiguration: active for good. */
    static ObjectNode version(FunctionVersion v) {
        String number = Integer.toString(v.number());
        return fields(v.info(), number, LambdaArns.function(v.info().name()) + ":" + number).put("State", "Active")
                .put("LastUpdateStatus", "Successful");
    }

    private static ObjectNode fields(FunctionInfo f, String version, String arn) {
        ObjectNode c = Json.object().put("FunctionName", f.name()).put("FunctionArn", arn)
                .put("Runtime", f.runtime()).put("Handler", f.handler()).put("MemorySize", f.memoryMb())
                .put("Timeout", f.timeoutS()).put("LastModified", LAST_MODIFIED.format(f.deployedAt()))
                .put("Version", version).put("CodeSize", f.codeBytes()).put("Description", "")
                .put("PackageType", "Zip").put("RevisionId", f.version().isEmpty() ? "pending" : f.version());
        if (f.codeSha256() != null) {
            c.put("CodeSha256", f.codeSha256());
        }
        c.putArray("Architectures").add("x86_64");
        ObjectNode variables = c.putObject("Environment").putObject("Variables");
        f.env().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> variables.put(e.getKey(), e.getValue()));
        return c;
    }
}
