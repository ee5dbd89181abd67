package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spice.engine.Engine;
import dev.spice.engine.EngineConfig;
import dev.spice.engine.FunctionInfo;
import dev.spice.engine.InvocationPath;
import dev.spice.engine.InvocationResult;
import dev.spice.engine.InvokeOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JVMs restored from a snapshot (multi-threaded capture): every restored instance draws its own
 * random numbers from the generators the runtime reseeds and from one a CRaC hook reseeds, while
 * a generator the function keeps unhooked repeats (the documented limit); the Java functions of
 * functions/ compute right after a restore.
 */
class JavaSnapshotTest {
    @TempDir
    Path dir;

    Engine engine;

    @BeforeEach
    void open() {
        engine = Engine.open(EngineConfig.defaults(dir.resolve("state")));
    }

    @AfterEach
    void close() {
        engine.close();
    }

    static final InvokeOptions COLD = new InvokeOptions(true);

    static JsonNode json(InvocationResult r) throws IOException {
        assertThat(r.errorType()).as(new String(r.payload(), StandardCharsets.UTF_8)).isNull();
        return JavaFunctionTest.JSON.readTree(r.payload());
    }

    @Test
    void restoredInstancesDrawDifferentRandomNumbersAndRunTheCracHooks() throws IOException {
        FunctionInfo info = engine.deploy(JavaFunctions.create(dir.resolve("randomness"), """
                name: randomness
                runtime: java
                handler: probe.Randomness
                memory_mb: 256
                warmup:
                  - {}
                  - {}
                """, ProbeSources.ALL));
        assertThat(info.snapshot()).as("snapshot of the JVM: %s", info.snapshotProblem()).isNotNull();

        List<JsonNode> restored = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            InvocationResult r = engine.invoke("randomness", "{}".getBytes(StandardCharsets.UTF_8), COLD);
            assertThat(r.path()).isEqualTo(InvocationPath.RESTORED);
            restored.add(json(r));
        }
        for (String generator : List.of("math", "threadLocal", "splittable", "uuid", "hooked")) {
            Set<String> values = new HashSet<>();
            restored.forEach(out -> values.add(out.get(generator).asText()));
            assertThat(values).as("%s differs in every restored instance", generator).hasSize(3);
        }
        Set<String> unreachable = new HashSet<>();
        restored.forEach(out -> unreachable.add(out.get("unreachable").asText()));
        assertThat(unreachable).as("a generator the function keeps without a hook repeats").hasSize(1);
        for (JsonNode out : restored) {
            assertThat(out.get("checkpoints").asInt()).as("beforeCheckpoint ran once, before the snapshot").isEqualTo(1);
            assertThat(out.get("restores").asInt()).as("afterRestore ran on the first request").isEqualTo(1);
        }

        InvocationResult warm = engine.invoke("randomness", "{}".getBytes(StandardCharsets.UTF_8), InvokeOptions.DEFAULT);
        assertThat(warm.path()).isEqualTo(InvocationPath.WARM);
        assertThat(json(warm).get("restores").asInt()).as("afterRestore runs once per restore").isEqualTo(1);
    }

    @Test
    void javaFunctionsComputeAfterARestore() throws IOException {
        for (String name : List.of("matmul", "json_parse")) {
            FunctionInfo info = engine.deploy(Path.of("../functions", name));
            assertThat(info.snapshot()).as("snapshot of %s: %s", name, info.snapshotProblem()).isNotNull();
        }
        InvocationResult m = engine.invoke("matmul", "{\"n\": 1100, \"seed\": 4}".getBytes(StandardCharsets.UTF_8), COLD);
        assertThat(m.path()).isEqualTo(InvocationPath.RESTORED);
        assertThat(json(m).get("sum").asLong()).isEqualTo(json(m).get("expected_sum").asLong()).isPositive();
        InvocationResult j = engine.invoke("json_parse", "{\"records\": 200, \"seed\": 4}".getBytes(StandardCharsets.UTF_8),
                COLD);
        assertThat(j.path()).isEqualTo(InvocationPath.RESTORED);
        assertThat(json(j).get("verified").asBoolean()).isTrue();
        assertThat(j.log()).contains("parsed ");
    }
}
