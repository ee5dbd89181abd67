package dev.spice.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.spice.engine.FunctionCode;
import dev.spice.engine.FunctionManifest;
import dev.spice.engine.Language;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bodies of the Lambda API's CreateFunction, UpdateFunctionCode and
 * UpdateFunctionConfiguration, turned into Spice manifests and code. Lambda's runtime names
 * python3.N run on Spice's python3 and nodejs18.x/20.x/22.x on its node; others are refused by name
 * until Spice has them. The warm-up
 * events, which Lambda has no field for, come from the environment variable
 * {@value #WARMUP_VARIABLE} (a JSON event or an array of events; without it the working set is
 * recorded with one empty event).
 */
final class LambdaRequests {
    static final String WARMUP_VARIABLE = "SPICE_WARMUP";
    /** Lambda's limit for a zip uploaded directly (50 MB), base64 in a JSON body. */
    static final int MAX_BODY = 70 << 20;

    private final JsonNode body;
    private final JsonErrors.Style style;

    private LambdaRequests(JsonNode body, JsonErrors.Style style) {
        this.body = body;
        this.style = style;
    }

    static LambdaRequests read(ApiRequest request) throws IOException {
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(request.body(MAX_BODY));
        } catch (JacksonException e) {
            throw JsonErrors.badRequest(request.style(), "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw JsonErrors.badRequest(request.style(), "the body must be a JSON object");
        }
        return new LambdaRequests(json, request.style());
    }

    /** CreateFunction's manifest. */
    FunctionManifest manifest() {
        String name = text("FunctionName");
        if (name == null) {
            throw invalid("FunctionName is required");
        }
        if (!"Zip".equals(body.path("PackageType").asText("Zip"))) {
            throw invalid("PackageType " + body.path("PackageType").asText() + " is not supported by Spice: use Zip");
        }
        if (body.path("Publish").asBoolean(false)) {
            throw invalid("Publish is not supported by CreateFunction on Spice: call PublishVersion once the "
                    + "function is Active");
        }
        String runtime = runtime(text("Runtime"));
        String handler = text("Handler");
        if (handler == null) {
            throw invalid("Handler is required for a function of package type Zip");
        }
        Map<String, String> env = environment(Map.of());
        return check(new FunctionManifest(LambdaArns.functionName(name), runtime, handler, env,
                integer("MemorySize", 128), integer("Timeout", 3), warmup(env), 0, null, null, null, null));
    }

    /** UpdateFunctionConfiguration: the current manifest with the fields the request sets. */
    FunctionManifest configure(FunctionManifest m) {
        String runtime = body.has("Runtime") ? runtime(text("Runtime")) : m.runtime();
        String handler = body.has("Handler") ? text("Handler") : m.handler();
        Map<String, String> env = environment(m.env());
        List<JsonNode> warmup = body.has("Environment") ? warmup(env) : m.warmup();
        return check(new FunctionManifest(m.name(), runtime, handler, env, integer("MemorySize", m.memoryMb()),
                integer("Timeout", m.timeoutS()), warmup, m.maxConcurrency(), m.keepAliveS(), m.cpu(), m.ioMbps(),
                m.network()));
    }

    /** Code.ZipFile of CreateFunction, ZipFile of UpdateFunctionCode: base64 in the JSON. */
    FunctionCode zip(boolean nested) {
        JsonNode code = nested ? body.path("Code") : body;
        for (String other : List.of("S3Bucket", "S3Key", "ImageUri")) {
            if (code.hasNonNull(other)) {
                throw invalid(other + " is not supported by Spice: upload the code as ZipFile");
            }
        }
        JsonNode zip = code.get("ZipFile");
        if (zip == null || !zip.isTextual() || zip.asText().isEmpty()) {
            throw invalid("ZipFile is required: Spice takes the code as a zip file in the request");
        }
        try {
            return FunctionCode.zip(Base64.getMimeDecoder().decode(zip.asText()));
        } catch (IllegalArgumentException e) {
            throw invalid("ZipFile is not valid base64");
        }
    }

    /** Lambda's runtime name as Spice runs it: each of {@link Language}'s names as is, others refused. */
    private String runtime(String name) {
        if (name == null) {
            throw invalid("Runtime is required for a function of package type Zip");
        }
        if (Language.of(name).isPresent()) {
            return name;
        }
        throw invalid("The runtime parameter of " + name + " is not supported by Spice yet; it runs "
                + Language.names());
    }

    private Map<String, String> environment(Map<String, String> current) {
        JsonNode env = body.path("Environment");
        if (env.isMissingNode() || env.isNull()) {
            return current;
        }
        Map<String, String> variables = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : env.path("Variables").properties()) {
            if (!e.getValue().isTextual()) {
                throw invalid("Environment variable " + e.getKey() + " must have a string value");
            }
            variables.put(e.getKey(), e.getValue().asText());
        }
        return variables;
    }

    private List<JsonNode> warmup(Map<String, String> env) {
        String text = env.get(WARMUP_VARIABLE);
        if (text == null) {
            return List.of();
        }
        JsonNode events;
        try {
            events = Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw invalid(WARMUP_VARIABLE + " must be a JSON event or an array of events");
        }
        if (events == null || !(events.isObject() || events.isArray())) {
            throw invalid(WARMUP_VARIABLE + " must be a JSON event or an array of events");
        }
        List<JsonNode> list = new ArrayList<>();
        if (events.isArray()) {
            events.forEach(list::add);
        } else {
            list.add(events);
        }
        return list;
    }

    private String text(String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private int integer(String field, int otherwise) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.canConvertToInt()) {
            throw invalid(field + " must be an integer");
        }
        return v.asInt();
    }

    /** Lambda's names for the manifest's fields in its messages. */
    private FunctionManifest check(FunctionManifest m) {
        try {
            return m.checked();
        } catch (dev.spice.engine.DeployException e) {
            throw invalid(e.getMessage().replace("'name'", "FunctionName").replace("'runtime'", "Runtime")
                    .replace("'handler'", "Handler").replace("'memory_mb'", "MemorySize")
                    .replace("'timeout_s'", "Timeout").replace("'env'", "Environment"));
        }
    }

    private ApiException invalid(String message) {
        return JsonErrors.badRequest(style, message);
    }
}
