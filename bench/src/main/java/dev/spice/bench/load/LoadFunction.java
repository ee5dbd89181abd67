package dev.spice.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A function of {@code functions/} as the load test deploys it: a copy of its directory under its
 * own name, with its handler wrapped by {@code spice_load.py}, which returns the request's
 * {@code load_id} beside the function's own answer, so every answer names the request it answers.
 * The function's code runs unchanged (the wrapper is imported first and imports it).
 *
 * @param payload        the function's event.json, to which each request adds its load_id
 */
record LoadFunction(String name, Path dir, ObjectNode payload, int maxConcurrency) {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HANDLER = Pattern.compile("(?m)^handler: *([A-Za-z0-9_]+)\\.([A-Za-z0-9_]+) *$");

    /** Copies {@code source} to {@code into/name}, wrapped; a given {@code maxConcurrency} replaces the manifest's. */
    static LoadFunction prepare(Path source, String name, Integer maxConcurrency, Path into) {
        try {
            Path dir = into.resolve(name);
            try (Stream<Path> files = Files.walk(source)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path target = dir.resolve(source.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, target);
                    }
                }
            }
            String manifest = Files.readString(dir.resolve("spice.yaml"));
            Matcher handler = HANDLER.matcher(manifest);
            if (!handler.find()) {
                throw new IllegalArgumentException(source + "/spice.yaml has no handler of the form module.function");
            }
            Files.writeString(dir.resolve("spice_load.py"), """
                    import importlib
                    _handler = getattr(importlib.import_module("%s"), "%s")


                    def handler(event, context):
                        load_id = event.pop("load_id", None)   # (warm-up events have none)
                        return {"load_id": load_id, "result": _handler(event, context)}
                    """.formatted(handler.group(1), handler.group(2)));
            manifest = handler.replaceFirst("handler: spice_load.handler")
                    .replaceFirst("(?m)^name: .*$", "name: " + name);
            Matcher concurrency = Pattern.compile("(?m)^max_concurrency: *([0-9]+).*$").matcher(manifest);
            int max = maxConcurrency != null ? maxConcurrency : concurrency.find() ? Integer.parseInt(concurrency.group(1)) : 4;
            manifest = manifest.replaceAll("(?m)^max_concurrency: .*\\n?", "") + "\nmax_concurrency: " + max + "\n";
            Files.writeString(dir.resolve("spice.yaml"), manifest);
            Path event = source.resolve("event.json");
            ObjectNode payload = Files.exists(event) ? (ObjectNode) JSON.readTree(event.toFile()) : JSON.createObjectNode();
            return new LoadFunction(name, dir, payload, max);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + source + " for the load test", e);
        }
    }

    /** The request body for the request {@code id}. */
    byte[] request(String id) {
        try {
            return JSON.writeValueAsBytes(payload.deepCopy().put("load_id", id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The load_id an answer names, and whether the function verified its own result (true if it does not say). */
    static Answer answer(String body) {
        try {
            JsonNode tree = JSON.readTree(body);
            JsonNode result = tree.path("result");
            return new Answer(tree.path("load_id").asText(null), !result.has("verified") || result.get("verified").asBoolean());
        } catch (IOException e) {
            return new Answer(null, false);
        }
    }

    record Answer(String loadId, boolean verified) {}
}
