package dev.spice.api;

import dev.spice.engine.EngineException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Jetty handler: routes the request, runs the endpoint (blocking: invocations wait for
 * the function, on one of Jetty's platform threads), and writes the response it returns. Errors
 * become JSON in the route's style; nothing of a stack trace reaches the client.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /** Paths under this prefix belong to the Lambda API and answer errors the AWS way. */
    private static final String LAMBDA_PREFIX = "/2015-03-31/";
    /** The one endpoint open without a signature: load balancers and the CLI probe it. */
    private static final String HEALTH = "/healthz";

    private final Router router;
    private final RequestAuthenticator authenticator;

    /** {@code authenticator}: null to accept unsigned requests. */
    ApiHandler(Router router, RequestAuthenticator authenticator) {
        super(InvocationType.BLOCKING);
        this.router = router;
        this.authenticator = authenticator;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String requestId = UUID.randomUUID().toString();
        ApiResponse answer = answer(request, requestId);
        if (!answer.hasHeader("x-amzn-RequestId")) {
            answer = answer.withHeader("x-amzn-RequestId", requestId);
        }
        write(answer, response, callback);
        return true;
    }

    private ApiResponse answer(Request request, String requestId) {
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        JsonErrors.Style style = path != null && (path + "/").startsWith(LAMBDA_PREFIX) ? JsonErrors.Style.AWS
                : JsonErrors.Style.SPICE;
        switch (router.match(method, path == null ? "/" : path)) {
            case Router.NotFound _ -> {
                return style.error(404, "UnknownOperationException", "no such endpoint: " + method + " " + path);
            }
            case Router.MethodNotAllowed m -> {
                return m.style().error(405, "MethodNotAllowedException", "method " + method + " not allowed on "
                        + path + " (allowed: " + String.join(", ", m.allowed()) + ")")
                        .withHeader("Allow", String.join(", ", m.allowed()));
            }
            case Router.Found found -> {
                ApiRequest r = new ApiRequest(request, Map.copyOf(found.params()), found.style(), requestId);
                return run(found, r, method, path, authenticator != null && !HEALTH.equals(path));
            }
        }
    }

    /**
     * Runs the endpoint, after checking the request's signature if {@code authenticate}: the
     * body (up to the largest any endpoint accepts) is read first, since the signature covers it.
     */
    private ApiResponse run(Router.Found found, ApiRequest request, String method, String path, boolean authenticate) {
        try {
            if (authenticate) {
                authenticator.verify(request.jetty(), request.body(LambdaRequests.MAX_BODY), found.style());
            }
            return found.endpoint().handle(request);
        } catch (ApiException e) {
            return e.response();
        } catch (EngineException e) {
            LOG.debug("{} {}: {}", method, path, e.getMessage());
            return JsonErrors.fromEngine(found.style(), e);
        } catch (Exception e) {
            LOG.error("{} {} failed", method, path, e);
            return JsonErrors.internal(found.style());
        }
    }

    private static void write(ApiResponse answer, Response response, Callback callback) {
        response.setStatus(answer.status());
        for (Map.Entry<String, String> h : answer.headers()) {
            response.getHeaders().add(h.getKey(), h.getValue());
        }
        if (answer.contentType() != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, answer.contentType());
        }
        if (answer.status() != 204) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.body().length);
        }
        response.write(true, ByteBuffer.wrap(answer.body()), callback);
    }
}
