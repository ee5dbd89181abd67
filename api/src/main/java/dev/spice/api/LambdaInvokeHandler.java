package dev.spice.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spice.engine.Engine;
import dev.spice.engine.FunctionInitException;
import dev.spice.engine.FunctionNotFoundException;
import dev.spice.engine.InvocationResult;
import dev.spice.engine.InvokeOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * {@code POST /2015-03-31/functions/{name}/invocations}: the Lambda Invoke API.
 * {@code X-Amz-Invocation-Type} RequestResponse (the default) waits for the result,
 * {@code Event} queues the invocation (202), {@code DryRun} only checks that the function exists
 * (204). The {@code Qualifier} query parameter (or NAME:QUALIFIER) picks a published version;
 * without one, or with $LATEST, the current deployment runs.
 *
 * <p>Besides Lambda's headers the response carries {@code X-Spice-Path} (warm, restored or
 * booted), {@code X-Spice-Duration-Ms} and {@code X-Spice-Timings}; the request header
 * {@code X-Spice-Cold: true} makes the engine start a new instance even if a warm one is idle.
 */
final class LambdaInvokeHandler implements Router.Endpoint {
    /** Lambda's limit for a synchronous invocation's payload. */
    static final int MAX_PAYLOAD = 6 * 1024 * 1024;

    private final Engine engine;

    LambdaInvokeHandler(Engine engine) {
        this.engine = engine;
    }

    @Override
    public ApiResponse handle(ApiRequest request) throws IOException {
        String name = LambdaArns.functionName(request.param("name"));
        String qualifier = LambdaFunctionsHandler.qualifier(request);
        try {
            return handle(request, name, qualifier);
        } catch (FunctionNotFoundException e) {
            throw JsonErrors.functionNotFound(request.style(), e.name());
        }
    }

    private ApiResponse handle(ApiRequest request, String name, String qualifier) throws IOException {
        String type = request.header("X-Amz-Invocation-Type");
        if (type == null || type.isEmpty()) {
            type = "RequestResponse";
        }
        return switch (type) {
            case "RequestResponse" -> invoke(request, name, qualifier);
            case "Event" -> {
                engine.invokeAsync(name, qualifier, request.body(MAX_PAYLOAD));
                yield ApiResponse.empty(202);
            }
            case "DryRun" -> {
                if (qualifier == null || qualifier.equals(Engine.LATEST) ? engine.function(name).isEmpty()
                        : engine.versions(name).stream().noneMatch(v -> qualifier.equals(Integer.toString(v.number())))) {
                    throw JsonErrors.functionNotFound(request.style(), qualifier == null ? name : name + ":" + qualifier);
                }
                yield ApiResponse.empty(204);
            }
            default -> throw JsonErrors.badRequest(request.style(), "1 validation error detected: Value '" + type
                    + "' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: "
                    + "[Event, RequestResponse, DryRun]");
        };
    }

    private ApiResponse invoke(ApiRequest request, String name, String qualifier) throws IOException {
        String executed = qualifier == null ? Engine.LATEST : qualifier;
        byte[] payload = request.body(MAX_PAYLOAD);
        boolean cold = "true".equalsIgnoreCase(request.header("X-Spice-Cold"));
        InvocationResult result;
        try {
            result = engine.invoke(name, qualifier, payload, new InvokeOptions(cold));
        } catch (FunctionInitException e) {
            // A function that cannot start is a function error in Lambda, not a failed request.
            return ApiResponse.json(200, initError(e)).withHeader("X-Amz-Executed-Version", executed)
                    .withHeader("X-Amz-Function-Error", "Unhandled");
        }
        ApiResponse response = ApiResponse.bytes(200, ApiResponse.JSON, result.payload())
                .withHeader("X-Amz-Executed-Version", executed)
                .withHeader("x-amzn-RequestId", result.requestId())
                .withHeader("X-Spice-Path", result.path().label())
                .withHeader("X-Spice-Duration-Ms",
                        String.format(Locale.ROOT, "%.3f", result.timings().totalNanos() / 1e6))
                .withHeader("X-Spice-Timings", result.timings().toString());
        if (result.functionError()) {
            response = response.withHeader("X-Amz-Function-Error", "Unhandled");
        }
        if ("Tail".equals(request.header("X-Amz-Log-Type"))) {
            byte[] tail = Engine.logTail(result.log()).getBytes(StandardCharsets.UTF_8);
            response = response.withHeader("X-Amz-Log-Result", Base64.getEncoder().encodeToString(tail));
        }
        return response;
    }

    private static JsonNode initError(FunctionInitException e) {
        if (e.error() != null) {
            return e.error();
        }
        String prefix = e.errorType() + ": ";
        String message = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
        return Json.object().put("errorMessage", message).put("errorType", e.errorType());
    }
}
