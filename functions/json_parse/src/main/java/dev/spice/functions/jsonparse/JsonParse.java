package dev.spice.functions.jsonparse;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Parses and serialises a JSON document with Jackson (the function's own, bundled in lib/), as
 * FunctionBench's json_dumps_loads does in Python: the document is the event's {@code json} text,
 * or one of {@code records} records generated from {@code seed}. Returns its size, the number
 * of values in it, its depth, and the SHA-256 of its compact serialisation, after checking that
 * parsing that serialisation again gives the same tree.
 */
public class JsonParse implements RequestHandler<JsonParse.Request, JsonParse.Response> {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The event. */
    public static class Request {
        public String json;
        public int records;
        public long seed;
    }

    /** The result. */
    public static class Response {
        public int inputBytes;
        public int outputBytes;
        public long values;
        public int depth;
        public String sha256;
        public boolean verified;
    }

    @Override
    public Response handleRequest(Request request, Context context) {
        String text = request.json != null ? request.json : generate(request.records, request.seed);
        try {
            JsonNode document = MAPPER.readTree(text);
            String compact = MAPPER.writeValueAsString(document);
            Response r = new Response();
            r.inputBytes = text.length();
            r.outputBytes = compact.length();
            r.values = count(document);
            r.depth = depth(document);
            r.sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(compact.getBytes()));
            r.verified = MAPPER.readTree(compact).equals(document);
            context.getLogger().log("parsed " + r.inputBytes + " bytes, " + r.values + " values\n");
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("the event's json is not JSON", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(JsonNode node) {
        long n = 1;
        for (JsonNode child : node) {
            n += count(child);
        }
        return n;
    }

    private static int depth(JsonNode node) {
        int deepest = 0;
        for (JsonNode child : node) {
            deepest = Math.max(deepest, depth(child));
        }
        return node.isContainerNode() ? deepest + 1 : 0;
    }

    /** A document of {@code records} records like json_serdes's input, the same for the same seed. */
    static String generate(int records, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode list = root.putArray("records");
        for (int i = 0; i < records; i++) {
            ObjectNode r = list.addObject();
            r.put("id", i).put("name", "user-" + random.nextInt(1_000_000)).put("score", random.nextDouble() * 100)
                    .put("active", random.nextBoolean());
            ArrayNode tags = r.putArray("tags");
            for (int t = random.nextInt(4); t > 0; t--) {
                tags.add("tag" + random.nextInt(50));
            }
            r.putObject("address").put("city", "city-" + random.nextInt(500)).put("zip", random.nextInt(100_000));
        }
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
