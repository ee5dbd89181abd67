package dev.spice.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Matches a method and a path against route templates such as
 * {@code /2015-03-31/functions/{name}/invocations}: a {@code {placeholder}} matches one non-empty
 * path segment, percent-decoded. Empty segments are ignored, so a trailing slash does not matter.
 */
final class Router {

    /** What a matched route runs. */
    @FunctionalInterface
    interface Endpoint {
        ApiResponse handle(ApiRequest request) throws Exception;
    }

    private record Route(String method, List<String> template, JsonErrors.Style style, Endpoint endpoint) {}

    /** The outcome of matching a request. */
    sealed interface Match {}

    record Found(Endpoint endpoint, JsonErrors.Style style, Map<String, String> params) implements Match {}

    record MethodNotAllowed(Set<String> allowed, JsonErrors.Style style) implements Match {}

    record NotFound() implements Match {}

    private final List<Route> routes = new ArrayList<>();

    Router add(String method, String template, JsonErrors.Style style, Endpoint endpoint) {
        routes.add(new Route(method, segments(template), style, endpoint));
        return this;
    }

    /** rawPath is the path as sent, still percent-encoded. */
    Match match(String method, String rawPath) {
        List<String> path;
        try {
            path = segments(rawPath).stream().map(Router::decode).toList();
        } catch (IllegalArgumentException e) {
            return new NotFound();
        }
        Set<String> allowed = new TreeSet<>();
        JsonErrors.Style style = null;
        for (Route route : routes) {
            Map<String, String> params = bind(route.template, path);
            if (params == null) {
                continue;
            }
            if (route.method.equals(method)) {
                return new Found(route.endpoint, route.style, params);
            }
            allowed.add(route.method);
            style = route.style;
        }
        return allowed.isEmpty() ? new NotFound() : new MethodNotAllowed(allowed, style);
    }

    private static Map<String, String> bind(List<String> template, List<String> path) {
        if (template.size() != path.size()) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < template.size(); i++) {
            String t = template.get(i);
            if (t.startsWith("{") && t.endsWith("}")) {
                params.put(t.substring(1, t.length() - 1), path.get(i));
            } else if (!t.equals(path.get(i))) {
                return null;
            }
        }
        return params;
    }

    private static List<String> segments(String path) {
        return Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    }

    /** Percent-decoding of a path segment, where '+' is a plus sign, not a space. */
    private static String decode(String segment) {
        return segment.indexOf('%') < 0 ? segment
                : URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
