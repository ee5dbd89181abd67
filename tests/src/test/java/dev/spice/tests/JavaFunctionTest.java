package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spice.engine.Engine;
import dev.spice.engine.EngineConfig;
import dev.spice.engine.FunctionInfo;
import dev.spice.engine.InvocationPath;
import dev.spice.engine.InvocationResult;
import dev.spice.engine.InvokeOptions;
import dev.spice.restore.Prefetch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Java functions in the engine (runtimes/java, docs/java-functions.md): every handler form, the
 * Context, logs and errors, on warm instances. The Java functions of functions/
 * are deployed as the README does.
 */
class JavaFunctionTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    Engine engine;

    /**
     * Handlers, not snapshots, are under test here (JavaSnapshotTest has those): the deployed
     * instance is kept warm and no working set is recorded, which would restore each function
     * a dozen times.
     */
    @BeforeEach
    void open() {
        engine = Engine.open(EngineConfig.defaults(dir.resolve("state")).withKeepDeployed(true)
                .withWorkingSet(false, Prefetch.FULL));
    }

    @AfterEach
    void close() {
        engine.close();
    }

    static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    static JsonNode json(InvocationResult r) throws IOException {
        return JSON.readTree(r.payload());
    }

    /** A function of the probe sources with {@code handler}. */
    Path probe(String name, String handler, String extra) {
        return JavaFunctions.create(dir.resolve(name), "name: " + name + "\nruntime: java25\nhandler: " + handler
                + "\nmemory_mb: 256\ntimeout_s: 20\n" + extra, ProbeSources.ALL);
    }

    @Test
    void requestHandlerGetsTheEventAndTheContextAndItsLogIsCaptured() throws IOException {
        engine.deploy(probe("echo", "probe.Echo", "warmup:\n  - {\"word\": \"warm-up\"}\n"));
        Random seeds = new Random(7);
        String previous = "warm-up";
        for (int i = 0; i < 3; i++) {
            String word = "w" + Long.toHexString(seeds.nextLong());
            int number = seeds.nextInt(1_000_000);
            InvocationResult r = engine.invoke("echo", bytes("{\"word\":\"" + word + "\",\"number\":" + number
                    + ",\"nested\":{\"list\":[1,2,3]}}"), InvokeOptions.DEFAULT);
            assertThat(r.errorType()).as(new String(r.payload(), StandardCharsets.UTF_8)).isNull();
            assertThat(r.path()).isIn(InvocationPath.BOOTED, InvocationPath.WARM, InvocationPath.RESTORED);
            JsonNode out = json(r);
            assertThat(out.get("event").get("word").asText()).isEqualTo(word);
            assertThat(out.get("event").get("number").asInt()).isEqualTo(number);
            assertThat(out.get("event").get("nested").get("list").toString()).isEqualTo("[1,2,3]");
            assertThat(out.get("requestId").asText()).isEqualTo(r.requestId());
            assertThat(out.get("functionName").asText()).isEqualTo("echo");
            assertThat(out.get("functionVersion").asText()).isEqualTo("$LATEST");
            assertThat(out.get("arn").asText()).isEqualTo("arn:aws:lambda:us-east-1:000000000000:function:echo");
            assertThat(out.get("memory").asInt()).isEqualTo(256);
            assertThat(out.get("remaining").asInt()).isBetween(1, 20_000);
            assertThat(out.get("logGroup").asText()).isEqualTo("/aws/lambda/echo");
            assertThat(out.get("logStream").asText()).startsWith("spice/");
            assertThat(out.get("env").asText()).isEqualTo("echo");
            assertThat(r.log()).contains("stdout " + word, "stderr " + word, "logger " + word, "[WARN] leveled " + word)
                    .doesNotContain("[DEBUG]");
            assertThat(r.log()).as("each invocation has its own log").doesNotContain(previous);
            if (i > 0) {
                assertThat(r.path()).as("the instance is kept").isEqualTo(InvocationPath.WARM);
            }
            previous = word;
        }
    }

    @Test
    void pojoMethodWithOverloadsTakesTheOneWithAContext() throws IOException {
        engine.deploy(probe("geometry", "probe.Geometry::scale", ""));
        Random seeds = new Random(11);
        for (int i = 0; i < 3; i++) {
            int x = seeds.nextInt(1000) - 500, y = seeds.nextInt(1000) - 500, f = seeds.nextInt(9) + 1;
            InvocationResult r = engine.invoke("geometry", bytes("{\"x\":" + x + ",\"Y\":" + y + ",\"factor\":" + f
                    + ",\"ignored\":true}"), InvokeOptions.DEFAULT);
            assertThat(r.errorType()).as(new String(r.payload(), StandardCharsets.UTF_8)).isNull();
            JsonNode out = json(r);
            assertThat(out.get("x").asInt()).isEqualTo(x * f);
            assertThat(out.get("y").asInt()).as("case-insensitive properties, as on Lambda").isEqualTo(y * f);
            assertThat(out.get("by").asText()).isEqualTo(r.requestId());
            assertThat(out.has("label")).as("nulls are left out").isFalse();
        }
    }

    @Test
    void streamHandlerReadsTheEventBytesAndWritesTheResult() throws IOException {
        engine.deploy(probe("upper", "probe.Upper", ""));
        String text = "spice " + Long.toHexString(new Random(3).nextLong());
        InvocationResult r = engine.invoke("upper", bytes("{\"text\":\"" + text + "\"}"), InvokeOptions.DEFAULT);
        assertThat(r.errorType()).as(new String(r.payload(), StandardCharsets.UTF_8)).isNull();
        assertThat(json(r).get("upper").asText()).isEqualTo(text.toUpperCase());
        assertThat(json(r).get("function").asText()).isEqualTo("upper");
        InvocationResult raw = engine.invoke("upper", bytes("{\"raw\":true}"), InvokeOptions.DEFAULT);
        assertThat(raw.errorType()).isEqualTo("Runtime.MarshalError");
        assertThat(json(raw).get("errorMessage").asText()).contains("not JSON");
    }

    @Test
    void throwingHandlerGivesLambdasJavaErrorShapeAndTheInstanceLivesOn() throws IOException {
        engine.deploy(probe("fails", "probe.Fails::fail", ""));
        InvocationResult r = engine.invoke("fails", bytes("{\"fail\":true}"), InvokeOptions.DEFAULT);
        assertThat(r.errorType()).isEqualTo("java.lang.IllegalStateException");
        JsonNode error = json(r);
        assertThat(error.get("errorMessage").asText()).isEqualTo("failed on purpose");
        assertThat(error.get("stackTrace").get(0).asText()).matches("probe\\.Fails\\.deeper\\(Fails\\.java:\\d+\\)");
        assertThat(error.get("stackTrace").toString()).contains("probe.Fails.fail(").doesNotContain("dev.spice.runtime",
                "jdk.internal.reflect");
        assertThat(error.get("cause").get("errorType").asText()).isEqualTo("java.lang.ArithmeticException");
        assertThat(error.get("cause").get("errorMessage").asText()).isEqualTo("/ by zero");
        assertThat(r.log()).contains("about to fail");
        InvocationResult ok = engine.invoke("fails", bytes("{\"fail\":false}"), InvokeOptions.DEFAULT);
        assertThat(ok.errorType()).isNull();
        assertThat(ok.path()).isEqualTo(InvocationPath.WARM);
        assertThat(json(ok).asText()).isEqualTo("fine");
    }

    @Test
    void eventThatDoesNotFitTheInputTypeIsAMarshalError() throws IOException {
        engine.deploy(probe("geometry", "probe.Geometry::scale", ""));
        InvocationResult r = engine.invoke("geometry", bytes("[1,2]"), InvokeOptions.DEFAULT);
        assertThat(r.errorType()).isEqualTo("Runtime.MarshalError");
        assertThat(json(r).get("errorMessage").asText()).contains("probe.Point");
    }

    @Test
    void missingHandlerFailsTheDeployWithItsReason() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.deploy(probe("missing", "probe.Nope", "")))
                .hasMessageContaining("class probe.Nope not found");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.deploy(probe("plain", "probe.Fails", "")))
                .hasMessageContaining("implements neither RequestHandler nor RequestStreamHandler");
    }

    @Test
    void crashingStaticInitialiserIsAnInitError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.deploy(probe("broken", "probe.Broken", "")))
                .hasMessageContaining("failed to initialize").hasMessageContaining("broken at init");
    }

    @Test
    void matmulOfFunctionsMultipliesGivenAndGeneratedMatrices() throws IOException {
        FunctionInfo info = engine.deploy(Path.of("../functions/matmul"));
        assertThat(info.runtime()).isEqualTo("java21");
        Random seeds = new Random(5);
        int n = 2 + seeds.nextInt(6);
        int[][] a = new int[n][n], b = new int[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = seeds.nextInt(200) - 100;
                b[i][j] = seeds.nextInt(200) - 100;
            }
        }
        InvocationResult r = engine.invoke("matmul", JSON.writeValueAsBytes(Map.of("a", a, "b", b)), InvokeOptions.DEFAULT);
        assertThat(r.errorType()).as(new String(r.payload(), StandardCharsets.UTF_8)).isNull();
        JsonNode c = json(r).get("c");
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int expected = 0;
                for (int k = 0; k < n; k++) {
                    expected += a[i][k] * b[k][j];
                }
                assertThat(c.get(i).get(j).asInt()).as("c[%d][%d]", i, j).isEqualTo(expected);
            }
        }
        InvocationResult big = engine.invoke("matmul", bytes("{\"n\": 1100, \"seed\": " + seeds.nextInt(1000) + "}"),
                InvokeOptions.DEFAULT);
        assertThat(big.errorType()).as(new String(big.payload(), StandardCharsets.UTF_8)).isNull();
        assertThat(json(big).get("n").asInt()).isEqualTo(1100);
        assertThat(json(big).get("sum").asLong()).isEqualTo(json(big).get("expected_sum").asLong()).isPositive();
    }

    @Test
    void jsonParseOfFunctionsParsesWithItsOwnJackson() throws IOException {
        engine.deploy(Path.of("../functions/json_parse"));
        InvocationResult r = engine.invoke("json_parse", bytes("{\"records\": 300, \"seed\": 9}"), InvokeOptions.DEFAULT);
        assertThat(r.errorType()).as(new String(r.payload(), StandardCharsets.UTF_8)).isNull();
        JsonNode out = json(r);
        assertThat(out.get("verified").asBoolean()).isTrue();
        assertThat(out.get("depth").asInt()).isEqualTo(4);
        assertThat(out.get("inputBytes").asInt()).isGreaterThan(out.get("outputBytes").asInt());
        String doc = "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}";
        JsonNode given = json(engine.invoke("json_parse", JSON.writeValueAsBytes(Map.of("json", doc)), InvokeOptions.DEFAULT));
        assertThat(given.get("values").asLong()).isEqualTo(6);
        assertThat(given.get("depth").asInt()).isEqualTo(3);
        assertThat(given.get("outputBytes").asInt()).isEqualTo(doc.length());
    }
}
