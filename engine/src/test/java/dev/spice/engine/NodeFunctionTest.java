package dev.spice.engine;

import static dev.spice.engine.EngineTest.bytes;
import static dev.spice.engine.EngineTest.function;
import static dev.spice.engine.EngineTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Node.js functions in the engine: every handler form, Lambda's context and errors, logs, reseeding. */
class NodeFunctionTest {
    @TempDir
    Path state;

    @RegisterExtension
    final OpenEngines engines = new OpenEngines();

    private Engine engine() {
        return engines.open(EngineConfig.defaults(state));
    }

    @Test
    void asyncHandlerGetsLambdasContextAndItsOutputIsLogged() throws IOException {
        Engine e = engine();
        FunctionInfo info = e.deploy(function("node_async"));
        assertThat(info.runtime()).isEqualTo("nodejs20.x");
        InvocationResult first = e.invoke("node_async", bytes("{\"name\":\"spice\"}"), InvokeOptions.DEFAULT);
        assertThat(first.errorType()).as(new String(first.payload())).isNull();
        JsonNode p = json(first);
        assertThat(p.get("message").asText()).isEqualTo("Hello, spice!");
        assertThat(p.get("awsRequestId").asText()).isEqualTo(first.requestId());
        assertThat(p.get("functionName").asText()).isEqualTo("node_async");
        assertThat(p.get("functionVersion").asText()).isEqualTo("$LATEST");
        assertThat(p.get("memoryLimitInMB").asText()).isEqualTo("256");
        assertThat(p.get("memorySize").asText()).isEqualTo("256");
        assertThat(p.get("invokedFunctionArn").asText()).endsWith(":function:node_async");
        assertThat(p.get("logGroupName").asText()).isEqualTo("/aws/lambda/node_async");
        assertThat(p.get("callbackWaitsForEmptyEventLoop").asBoolean()).isTrue();
        assertThat(p.get("remainingBefore").asLong()).isBetween(1L, 5000L);
        assertThat(p.get("remainingBefore").asLong() - p.get("remainingAfter").asLong()).isGreaterThanOrEqualTo(15L);
        assertThat(p.get("threadpool").asText()).isEqualTo("1");
        assertThat(p.get("heapLimitMb").asInt()).as("--max-old-space-size from memory_mb")
                .isBetween(NodeCommand.oldSpaceMb(256), NodeCommand.oldSpaceMb(256) + 64);
        assertThat(first.log()).contains("START RequestId: " + first.requestId(), "REPORT RequestId")
                .containsPattern("\\t" + first.requestId() + "\\tINFO\\tgreeting spice\\n")
                .containsPattern("\\t" + first.requestId() + "\\tERROR\\tan error line for spice\\n")
                .contains("raw write for spice\n");

        InvocationResult warm = e.invoke("node_async", bytes("{\"name\":\"again\"}"), InvokeOptions.DEFAULT);
        assertThat(warm.path()).isEqualTo(InvocationPath.WARM);
        assertThat(json(warm).get("message").asText()).isEqualTo("Hello, again!");
        assertThat(warm.log()).contains("greeting again").doesNotContain("spice");
    }

    @Test
    void callbackHandlerInANestedDirectoryAnswersOnceTheLoopIsEmpty() throws IOException {
        Engine e = engine();
        e.deploy(function("node_callback"));
        for (int n : new int[] {3, 17, -4}) {
            InvocationResult r = e.invoke("node_callback", bytes("{\"n\":" + n + "}"), InvokeOptions.DEFAULT);
            assertThat(r.errorType()).isNull();
            assertThat(json(r).get("doubled").asInt()).isEqualTo(2 * n);
            assertThat(r.log()).as("the timer after the callback ran inside the invocation")
                    .contains("INFO\tafter the callback " + n + "\n");
        }
        InvocationResult failed = e.invoke("node_callback", bytes("{\"fail\":\"politely\"}"), InvokeOptions.DEFAULT);
        assertThat(failed.errorType()).isEqualTo("RangeError");
        assertThat(json(failed).get("errorMessage").asText()).isEqualTo("refused politely");
        assertThat(json(failed).get("stackTrace").toString()).contains("lib/forms/cb.js");
        InvocationResult after = e.invoke("node_callback", bytes("{\"n\":5}"), InvokeOptions.DEFAULT);
        assertThat(after.path()).as("the instance survives a handler error").isEqualTo(InvocationPath.WARM);
        assertThat(json(after).get("calls").asInt()).as("one instance served them all").isGreaterThan(4);
    }

    @Test
    void esModuleHandlerReturningAPromise() throws IOException {
        Engine e = engine();
        e.deploy(function("node_esm"));
        for (String text : List.of("alpha", "βeta", "")) {
            InvocationResult r = e.invoke("node_esm", bytes("{\"text\":\"" + text + "\"}"), InvokeOptions.DEFAULT);
            assertThat(r.errorType()).isNull();
            assertThat(json(r).get("sha256").asText()).isEqualTo(sha256(text));
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new AssertionError(ex);
        }
    }

    @Test
    void thrownErrorHasLambdasShapeWithTheFunctionsFrames() throws IOException {
        Engine e = engine();
        e.deploy(function("node_raises"));
        InvocationResult r = e.invoke("node_raises", bytes("{\"amount\":250}"), InvokeOptions.DEFAULT);
        assertThat(r.errorType()).isEqualTo("PaymentError");
        JsonNode error = json(r);
        assertThat(error.get("errorMessage").asText()).isEqualTo("amount 250 over the limit");
        assertThat(error.get("trace").get(0).asText()).isEqualTo("PaymentError: amount 250 over the limit");
        assertThat(error.get("stackTrace").toString()).contains("at charge (", "index.js").doesNotContain("spice_runtime");
        assertThat(r.log()).contains("INFO\tcharging 250");
        InvocationResult ok = e.invoke("node_raises", bytes("{\"amount\":40}"), InvokeOptions.DEFAULT);
        assertThat(ok.errorType()).isNull();
        assertThat(json(ok).get("charged").asInt()).isEqualTo(40);
    }

    @Test
    void badNodeDeploymentsFailClearly(@TempDir Path code) throws IOException {
        Engine e = engine();
        Files.writeString(code.resolve("spice.yaml"), "name: nomodule\nruntime: nodejs\nhandler: index.handler\n");
        assertThatThrownBy(() -> e.deploy(code)).isInstanceOf(DeployException.class)
                .hasMessageContaining("Runtime.ImportModuleError").hasMessageContaining("Cannot find module 'index'");
        Files.writeString(code.resolve("index.js"), "exports.other = async () => 1;\n");
        assertThatThrownBy(() -> e.deploy(code)).isInstanceOf(DeployException.class)
                .hasMessageContaining("Runtime.HandlerNotFound");
        Files.writeString(code.resolve("spice.yaml"), "name: nomodule\nruntime: nodejs16.x\nhandler: index.other\n");
        assertThatThrownBy(() -> e.deploy(code)).isInstanceOf(DeployException.class)
                .hasMessageContaining("'runtime' must be one of").hasMessageContaining("nodejs20.x");
        Files.writeString(code.resolve("spice.yaml"), "name: nomodule\nruntime: nodejs\nhandler: ../index.other\n");
        assertThatThrownBy(() -> e.deploy(code)).isInstanceOf(DeployException.class)
                .hasMessageContaining("'handler' must be file.export");
        assertThat(e.functions()).isEmpty();
    }

    @Test
    void bootedInstancesDrawTheirOwnRandomness() throws IOException {
        Engine e = engine();
        e.deploy(function("node_randomness"));
        Set<String> ids = new HashSet<>();
        Set<String> bytes = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            JsonNode p = json(e.invoke("node_randomness", bytes("{}"), new InvokeOptions(true, true)));
            ids.add(p.get("instanceId").asText());
            bytes.add(p.get("randomBytes").asText());
        }
        assertThat(ids).hasSize(3);
        assertThat(bytes).hasSize(3);
    }

    /**
     * Instances restored from one image share everything drawn before the snapshot (the id drawn
     * at import), and nothing drawn after: Math.random (also through a reference taken at import),
     * crypto.randomBytes, randomUUID and Web Crypto all differ.
     */
    @Test
    void restoredInstancesDoNotShareRandomState() throws IOException {
        Engine e = engine();
        FunctionInfo info = e.deploy(function("node_randomness"));
        assertThat(info.snapshot()).as(info.snapshotProblem()).isNotNull();
        List<JsonNode> draws = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            InvocationResult r = e.invoke("node_randomness", bytes("{}"), new InvokeOptions(true));
            assertThat(r.path()).isEqualTo(InvocationPath.RESTORED);
            draws.add(json(r));
        }
        assertThat(draws).extracting(p -> p.get("instanceId").asText()).as("state from before the snapshot")
                .containsOnly(draws.getFirst().get("instanceId").asText());
        for (String field : List.of("math", "mathTakenAtImport", "randomBytes", "uuid", "webcrypto")) {
            assertThat(draws).extracting(p -> p.get(field).asText()).as(field).doesNotHaveDuplicates();
        }
    }
}
