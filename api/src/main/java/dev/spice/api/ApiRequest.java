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
    /** Bodies larger than this are not drained; their connection closes with the 413. */
    private static final long DRAINED = 64L << 20;

    private final Request request;
    private final Map<String, String> params;
    private final JsonErrors.Style style;
    private final String requestId;
    private Fields query;
    private byte[] body;                        /* once read */

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

    /**
     * The whole body, refused with 413 if it exceeds {@code limit} bytes. A body up to
     * {@link #DRAINED} is read to its end first: a client still sending when the connection
     * closes would lose the answer (many send the whole body before they read).
     */
    byte[] body(int limit) throws IOException {
        if (body == null) {
            body = read(limit);
        } else if (body.length > limit) {
            throw JsonErrors.tooLarge(style, limit);
        }
        return body;
    }

    /** The Jetty request itself, for what is checked before the endpoint runs (the signature). */
    Request jetty() {
        return request;
    }

    private byte[] read(int limit) throws IOException {
        long declared = request.getLength();
        try (InputStream in = Request.asInputStream(request)) {
            if (declared > limit) {
                drain(in, declared);
                throw JsonErrors.tooLarge(style, limit);
            }
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                drain(in, declared);
                throw JsonErrors.tooLarge(style, limit);
            }
            return bytes;
        }
    }

    private static void drain(InputStream in, long declared) throws IOException {
        if (declared <= DRAINED) {
            long skipped = 0;
            byte[] sink = new byte[64 * 1024];
            for (int n; skipped <= DRAINED && (n = in.read(sink)) > 0; ) {
                skipped += n;
            }
        }
    }
}
