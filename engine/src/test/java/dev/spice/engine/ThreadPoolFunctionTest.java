package dev.spice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * functions/thread_pool: a Python handler whose ThreadPoolExecutor starts its workers at import,
 * before the snapshot. The deploy captures all the interpreter's threads, records the working set
 * of a restored instance, and a restored instance answers through the very workers the warm one
 * used (same TIDs, no new thread), with the same results.
 */
class ThreadPoolFunctionTest {
    static final Path THREAD_POOL = Path.of("../functions/thread_pool");
    static final int WORKERS = 4;

    @TempDir
    Path state;

    @Test
    void restoredInstanceKeepsUsingThePoolStartedBeforeTheSnapshot() throws Exception {
        try (Engine e = Engine.open(EngineConfig.defaults(state).withKeepDeployed(true))) {
            FunctionInfo info = e.deploy(THREAD_POOL);
            assertThat(info.snapshot()).as(info.snapshotProblem()).isNotNull();
            assertThat(info.snapshot().workingSetPages()).isPositive();

            JsonNode warm = invoke(e, "warm", false, InvocationPath.WARM);
            JsonNode restored = invoke(e, "restored", true, InvocationPath.RESTORED);
            JsonNode again = invoke(e, "again", true, InvocationPath.RESTORED);
            for (JsonNode r : List.of(warm, restored, again)) {
                assertThat(r.get("verified").asBoolean()).as("its own check of digests and workers").isTrue();
                assertThat(r.get("pool_tids")).hasSize(WORKERS);
                assertThat(r.get("threads").asInt()).as("main and the pool's workers only").isEqualTo(WORKERS + 1);
                for (JsonNode tid : r.get("worker_tids")) {
                    assertThat(r.get("pool_tids")).as("work ran on the pool's own workers").contains(tid);
                }
            }
            assertThat(restored.get("pool_tids")).isEqualTo(warm.get("pool_tids"));
            assertThat(again.get("pool_tids")).isEqualTo(warm.get("pool_tids"));
        }
    }

    private static JsonNode invoke(Engine e, String text, boolean cold, InvocationPath expected) throws Exception {
        int chunks = 12;
        InvocationResult r = e.invoke("thread_pool",
                ("{\"text\":\"" + text + "\",\"chunks\":" + chunks + "}").getBytes(StandardCharsets.UTF_8),
                new InvokeOptions(cold));
        assertThat(r.errorType()).as(r.log()).isNull();
        assertThat(r.path()).as(r.log()).isEqualTo(expected);
        JsonNode json = EngineTest.json(r);
        List<String> digests = new ArrayList<>();
        json.get("digests").forEach(d -> digests.add(d.asText()));
        assertThat(digests).containsExactlyElementsOf(expectedDigests(text, chunks));
        return json;
    }

    private static List<String> expectedDigests(String text, int chunks) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < chunks; i++) {
            out.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((text + ":" + i).getBytes(StandardCharsets.UTF_8))));
        }
        return out;
    }
}
