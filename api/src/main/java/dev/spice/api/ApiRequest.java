package dev.spice.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * One request as the endpoints see it: the Jetty request, the route's path parameters and error
 * style, and the request id that goes back in {@code x-amzn-RequestId}.
 */
final class ApiRequest {
    private final Request request;
    private final Map<String, String> params;
    private final JsonErrors.Style style;
    private final String requestId;
    private Fields query;

    ApiRequest(Request request, Map<String, String> params, JsonErrors.Style style, String requestId) {
        this.request = request;
        this.params = params;
        this.style = style;
        this.requestId = requestId;
    }

    String param(String name) {
        return params.get(name);
    }

    /** A header's value, or null. */
    String header(String name) {
        return request.getHeaders().get(name);
    }

    /** A query parameter's value, or null. */
    String query(String name) {
        if (query == null) {
            query = Request.extractQueryParameters(request);
        }
        return query.getValue(name);
    }

    JsonErrors.Style style() {
        return style;
    }

    String requestId() {
        return requestId;
    }

    /** The whole body, refused with 413 as soon as it is known to exceed {@code limit} bytes. */
    byte[] body(int limit) throws IOException {
        long declared = request.getLength();
        if (declared > limit) {
            throw JsonErrors.tooLarge(style, limit);
        }
        try (InputStream in = Request.asInputStream(request)) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw JsonErrors.tooLarge(style, limit);
            }
            return bytes;
        }
    }
}
