package dev.spice.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A response, complete before anything is written: status, extra headers, content type and body.
 * The endpoints return these; {@link ApiHandler} writes them to Jetty.
 */
record ApiResponse(int status, List<Map.Entry<String, String>> headers, String contentType, byte[] body) {
    static final String JSON = "application/json";

    ApiResponse {
        headers = List.copyOf(headers);
    }

    static ApiResponse json(int status, Object tree) {
        return new ApiResponse(status, List.of(), JSON, Json.bytes(tree));
    }

    static ApiResponse bytes(int status, String contentType, byte[] body) {
        return new ApiResponse(status, List.of(), contentType, body);
    }

    static ApiResponse text(int status, String contentType, String body) {
        return bytes(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    static ApiResponse empty(int status) {
        return new ApiResponse(status, List.of(), null, new byte[0]);
    }

    ApiResponse withHeader(String name, String value) {
        List<Map.Entry<String, String>> more = new ArrayList<>(headers);
        more.add(Map.entry(name, value));
        return new ApiResponse(status, more, contentType, body);
    }

    boolean hasHeader(String name) {
        return headers.stream().anyMatch(h -> h.getKey().equalsIgnoreCase(name));
    }
}
