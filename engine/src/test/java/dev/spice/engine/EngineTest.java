package dev.spice.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The engine with real functions: deploy (boot, warm-up, snapshot) and every invocation path. */
class EngineTest {
    static final Path HELLO = Path.of("../functions/hello");

    @TempDir
    Path state;

    @RegisterExtension
    final OpenEngines engines = new OpenEngines();

    private Engine engine() {
        return engines.open(EngineConfig.defaults(state));
    }

    static Path function(String name) {
        return Path.of("src/test/resources/functions", name);
    }

    static JsonNode json(InvocationResult r) throws IOException {
        return RuntimeChannel.JSON.readTree(r.payload());
    }

    static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void helloIsRestoredThenWarmThenRestoredAgainWhenCold() throws IOException {
        Engine e = engine();
        FunctionInfo info = e.deploy(HELLO);
        assertThat(info.snapshot()).as(info.snapshotProblem()).isNotNull();
        assertThat(info.snapshot().imageBytes()).isPositive();

        InvocationResult first = e.invoke("hello", bytes("{\"name\":\"spice\"}"), InvokeOptions.DEFAULT);
        assertThat(first.errorType()).isNull();
        assertThat(first.path()).isEqualTo(InvocationPath.RESTORED);
        assertThat(json(first).get("message").asText()).isEqualTo("Hello, spice!");
        assertThat(json(first).get("request_id").asText()).isEqualTo(first.requestId());
        assertThat(first.log()).contains("START RequestId: " + first.requestId(), "greeting spice", "REPORT RequestId");
        assertThat(first.timings().restore()).isNotNull();

        InvocationResult warm = e.invoke("hello", bytes("{\"name\":\"again\"}"), InvokeOptions.DEFAULT);
        assertThat(warm.path()).isEqualTo(InvocationPath.WARM);
        assertThat(json(warm).get("message").asText()).isEqualTo("Hello, again!");
        assertThat(warm.log()).contains("greeting again").doesNotContain("greeting spice");

        InvocationResult cold = e.invoke("hello", bytes("{}"), new InvokeOptions(true));
        assertThat(cold.path()).isEqualTo(InvocationPath.RESTORED);
        assertThat(json(cold).get("message").asText()).isEqualTo("Hello, world!");
        assertThat(cold.timings().toString()).contains("restore", "process creation", "memory mapping", "first response");
    }

    @Test
    void numpyFunctionComputesAfterRestore() throws IOException {
        Engine e = engine();
        e.deploy(Path.of("../functions/numpy_stats"));
        InvocationResult r = e.invoke("numpy_stats", bytes("{\"values\":[2,4,4,4,5,5,7,9]}"), new InvokeOptions(true));
        assertThat(r.errorType()).isNull();
        assertThat(r.path()).isEqualTo(InvocationPath.RESTORED);
        assertThat(json(r).get("mean").asDouble()).isEqualTo(5.0);
        assertThat(json(r).get("std").asDouble()).isEqualTo(2.0);
        InvocationResult warm = e.invoke("numpy_stats", bytes("{\"values\":[1]}"), InvokeOptions.DEFAULT);
        assertThat(warm.path()).isEqualTo(InvocationPath.WARM);
        assertThat(json(warm).get("weighted").asDouble()).isEqualTo(0.5);
    }

    @Test
    void handlerErrorBecomesALambdaStyleError() throws IOException {
        Engine e = engine();
        e.deploy(function("raises"));
        InvocationResult r = e.invoke("raises", bytes("{\"who\":\"tester\"}"), InvokeOptions.DEFAULT);
        assertThat(r.errorType()).isEqualTo("ZeroDivisionError");
        JsonNode error = json(r);
        assertThat(error.get("errorMessage").asText()).isEqualTo("division by zero");
        assertThat(error.get("stackTrace").toString()).contains("app.py");
        assertThat(r.log()).contains("printed before the error", "[INFO]", "about to fail for tester");
        InvocationResult ok = e.invoke("raises", bytes("{\"divisor\":4}"), InvokeOptions.DEFAULT);
        assertThat(ok.errorType()).isNull();
        assertThat(ok.path()).as("the instance survives a handler error").isEqualTo(InvocationPath.WARM);
        assertThat(json(ok).asDouble()).isEqualTo(0.25);
    }

    @Test
    void timeoutKillsTheInstanceAndTheNextInvocationStillWorks() throws IOException {
        Engine e = engine();
        e.deploy(function("sleepy"));
        InvocationResult late = e.invoke("sleepy", bytes("{\"seconds\":5}"), InvokeOptions.DEFAULT);
        assertThat(late.errorType()).isEqualTo("Sandbox.Timedout");
        assertThat(json(late).get("errorMessage").asText()).isEqualTo("Task timed out after 1.00 seconds");
        assertThat(late.timings().totalNanos()).isLessThan(4_000_000_000L);
        InvocationResult next = e.invoke("sleepy", bytes("{\"seconds\":0}"), InvokeOptions.DEFAULT);
        assertThat(next.errorType()).isNull();
        assertThat(next.path()).as("the timed-out instance was killed").isEqualTo(InvocationPath.RESTORED);
        assertThat(json(next).get("left_ms").asLong()).isBetween(1L, 1000L);
    }

    @Test
    void invocationsBeyondThePoolSizeWaitForAnInstance() throws Exception {
        Engine e = engine();
        e.deploy(function("randomness"));
        List<Future<InvocationResult>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> e.invoke("randomness", bytes("{\"hold\":0.3}"), InvokeOptions.DEFAULT)));
            }
        }
        Set<Long> instances = new HashSet<>();
        for (Future<InvocationResult> f : results) {
            InvocationResult r = f.get();
            assertThat(r.errorType()).isNull();
            instances.add(json(r).get("instance").asLong());
        }
        assertThat(instances).as("max_concurrency is 2").hasSizeBetween(1, 2);
        assertThat(metrics(e)).contains("spice_invocations_total{function=\"randomness\"");
    }

    @Test
    void restoredInstancesDoNotShareRandomState() throws IOException {
        Engine e = engine();
        e.deploy(function("randomness"));
        double a = json(e.invoke("randomness", bytes("{}"), new InvokeOptions(true))).get("random").asDouble();
        double b = json(e.invoke("randomness", bytes("{}"), new InvokeOptions(true))).get("random").asDouble();
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void corruptSnapshotFallsBackToBootAndStillAnswers() throws IOException {
        Engine e = engine();
        FunctionInfo info = e.deploy(HELLO);
        Path image = state.resolve("functions/hello/current").toRealPath().resolve("snapshot.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.seek(4096 + 8);
            f.write(0x5a);
        }
        InvocationResult r = e.invoke("hello", bytes("{\"name\":\"fallback\"}"), InvokeOptions.DEFAULT);
        assertThat(r.path()).isEqualTo(InvocationPath.BOOTED);
        assertThat(json(r).get("message").asText()).isEqualTo("Hello, fallback!");
        assertThat(metrics(e)).contains("spice_restore_fallbacks_total{function=\"hello\"} 1.0");
        assertThat(info.version()).isNotBlank();
    }

    /** The warm-up events run in rounds while they keep getting faster, so the snapshot holds the fast state. */
    @Test
    void warmUpGoesOnUntilTheFunctionStopsGettingFaster() throws IOException {
        Engine e = engine();
        assertThat(e.deploy(function("slow_start")).snapshot()).isNotNull();
        InvocationResult r = e.invoke("slow_start", bytes("{}"), InvokeOptions.DEFAULT);
        assertThat(r.path()).isEqualTo(InvocationPath.RESTORED);
        JsonNode p = json(r);
        assertThat(p.get("slow").asBoolean()).as("first call after the restore, call %s", p.get("calls")).isFalse();
        assertThat(p.get("calls").asInt()).isLessThanOrEqualTo(WarmUpRounds.MAX_ROUNDS + 1);
    }

    @Test
    void warmUpRestoresEachSnapshotAndLeavesNoInstanceBehind() throws IOException {
        Engine deployer = engine();
        deployer.deploy(HELLO);
        deployer.close();
        Engine e = engines.open(EngineConfig.defaults(state).withZygotes(2));
        assertThat(e.warmUp(3, Duration.ofSeconds(30))).isEqualTo(3);
        assertThat(e.liveInstances()).as("warm-up instances are ended").isZero();
        InvocationResult r = e.invoke("hello", bytes("{\"name\":\"warm\"}"), InvokeOptions.DEFAULT);
        assertThat(r.path()).isEqualTo(InvocationPath.RESTORED);
        assertThat(json(r).get("message").asText()).isEqualTo("Hello, warm!");
    }

    @Test
    void restartedEngineServesWhatWasDeployed() throws IOException {
        Engine first = engine();
        first.deploy(HELLO);
        first.close();
        Engine second = engine();
        assertThat(second.functions()).extracting(FunctionInfo::name).containsExactly("hello");
        InvocationResult r = second.invoke("hello", bytes("{\"name\":\"again\"}"), InvokeOptions.DEFAULT);
        assertThat(r.path()).isEqualTo(InvocationPath.RESTORED);
        assertThat(json(r).get("message").asText()).isEqualTo("Hello, again!");
    }

    @Test
    void redeployReplacesTheVersion(@TempDir Path code) throws IOException {
        Files.writeString(code.resolve("spice.yaml"), "name: versions\nruntime: python3\nhandler: app.handler\n");
        Files.writeString(code.resolve("app.py"), "def handler(event, context):\n    return 'v1'\n");
        Engine e = engine();
        String v1 = e.deploy(code).version();
        assertThat(json(e.invoke("versions", bytes("{}"), InvokeOptions.DEFAULT)).asText()).isEqualTo("v1");
        Files.writeString(code.resolve("app.py"), "def handler(event, context):\n    return 'v2'\n");
        String v2 = e.deploy(code).version();
        assertThat(v2).isNotEqualTo(v1);
        assertThat(json(e.invoke("versions", bytes("{}"), InvokeOptions.DEFAULT)).asText()).isEqualTo("v2");
        try (var versions = Files.list(state.resolve("functions/versions/versions"))) {
            assertThat(versions.map(p -> p.getFileName().toString())).containsExactly(v2);
        }
    }

    @Test
    void badDeploymentsFailClearlyAndKeepNothing() {
        Engine e = engine();
        assertThatThrownBy(() -> e.deploy(function("broken")))
                .isInstanceOf(DeployException.class)
                .hasMessageContaining("ModuleNotFoundError").hasMessageContaining("module_that_does_not_exist");
        assertThat(e.functions()).isEmpty();
        assertThatThrownBy(() -> e.deploy(state.resolve("nowhere")))
                .isInstanceOf(DeployException.class).hasMessageContaining("has no spice.yaml");
        assertThatThrownBy(() -> e.invoke("missing", bytes("{}"), InvokeOptions.DEFAULT))
                .isInstanceOf(FunctionNotFoundException.class);
    }

    @Test
    void memoryLimitStopsAnInstanceThatExceedsIt() throws IOException {
        Engine e = engine();
        e.deploy(function("hog"));
        InvocationResult small = e.invoke("hog", bytes("{\"blocks\":1}"), InvokeOptions.DEFAULT);
        assertThat(small.errorType()).isNull();
        InvocationResult big = e.invoke("hog", bytes("{\"blocks\":16}"), InvokeOptions.DEFAULT);
        assertThat(big.errorType()).isEqualTo("Runtime.OutOfMemory");
        assertThat(json(big).get("errorMessage").asText()).contains("memory limit of 64 MB");
    }

    @Test
    void aForkBombStopsAtItsInstancesProcessLimitAndOthersKeepServingWithoutNewPrivileges() throws IOException {
        assumeTrue(Files.exists(Path.of("/sys/fs/cgroup/pids/cgroup.procs"))
                || Files.readString(Path.of("/sys/fs/cgroup/cgroup.controllers")).contains("pids"), "no pids controller");
        Engine e = engine();
        e.deploy(function("forkbomb"));
        e.deploy(HELLO);
        InvocationResult bomb = e.invoke("forkbomb", bytes("{\"bomb\":true}"), InvokeOptions.DEFAULT);
        assertThat(bomb.errorType()).as(new String(bomb.payload(), StandardCharsets.UTF_8)).isNull();
        assertThat(json(bomb).get("error").asText()).isEqualTo("EAGAIN");
        assertThat(json(bomb).get("forked").asInt()).isPositive().isLessThan(InstanceCgroups.MAX_PIDS);

        InvocationResult other = e.invoke("forkbomb", bytes("{}"), new InvokeOptions(true));
        assertThat(other.path()).as("a new instance has a limit of its own").isEqualTo(InvocationPath.RESTORED);
        assertThat(other.errorType()).isNull();
        assertThat(json(other).get("no_new_privs").asText()).as("restored: no new privileges").isEqualTo("1");
        InvocationResult booted = e.invoke("forkbomb", bytes("{}"), new InvokeOptions(true, true));
        assertThat(booted.path()).isEqualTo(InvocationPath.BOOTED);
        assertThat(json(booted).get("no_new_privs").asText()).as("booted: no new privileges").isEqualTo("1");
        InvocationResult hello = e.invoke("hello", bytes("{\"name\":\"after\"}"), InvokeOptions.DEFAULT);
        assertThat(json(hello).get("message").asText()).isEqualTo("Hello, after!");
    }

    @Test
    void aCpuQuotaHoldsAnInstanceToItsShareAndItsCgroupsGoWhenItEnds() throws Exception {
        boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))
                && Files.readString(Path.of("/sys/fs/cgroup/cgroup.controllers")).contains("cpu");
        Path cpuRoot = Path.of(v2 ? "/sys/fs/cgroup/spice" : "/sys/fs/cgroup/cpu/spice");
        assumeTrue(v2 || Files.exists(Path.of("/sys/fs/cgroup/cpu/cgroup.procs")), "no cpu controller");
        Engine e = engine();
        e.deploy(function("spinner"));                 // cpu: 0.2
        InvocationResult r = e.invoke("spinner", bytes("{\"seconds\":1.5}"), InvokeOptions.DEFAULT);
        assertThat(r.errorType()).as(new String(r.payload(), StandardCharsets.UTF_8)).isNull();
        // Unlimited, a spinning process gets well over half a core even on this busy 2-core machine.
        assertThat(json(r).get("share").asDouble()).as("share of a core while spinning").isLessThan(0.3);

        List<String> throttled = new ArrayList<>();    // (the zygote prepared next has the quota too, unused)
        try (var dirs = Files.list(cpuRoot)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                String quota = Files.readString(d.resolve(v2 ? "cpu.max" : "cpu.cfs_quota_us")).strip();
                if (quota.equals(v2 ? "20000 100000" : "20000")
                        && Pattern.compile("nr_throttled [1-9]").matcher(Files.readString(d.resolve("cpu.stat"))).find()) {
                    throttled.add(d.getFileName().toString());
                }
            }
        }
        assertThat(throttled).as("the cgroup of the idle instance, which the kernel throttled").hasSize(1);
        Path io = v2 ? cpuRoot.resolve(throttled.getFirst()).resolve("io.max")
                : Path.of("/sys/fs/cgroup/blkio/spice", throttled.getFirst(), "blkio.throttle.read_bps_device");
        if (Files.exists(io.getParent())) {                 // io_mbps: 50 on the disk of the state directory
            assertThat(Files.readString(io)).contains(v2 ? "rbps=" + (50 << 20) : " " + (50 << 20));
        }
        e.evictAllIdle();
        assertThat(instanceCgroupDirs()).as("its cgroups in every hierarchy, once it ended")
                .noneMatch(d -> d.getFileName().toString().equals(throttled.getFirst()));
        e.close();
        assertThat(instanceCgroupDirs()).as("cgroups of this engine's instances and zygotes after it closed")
                .noneMatch(d -> d.getFileName().toString().endsWith("-" + ProcessHandle.current().pid()));
    }

    /** Every directory under spice/ of every cgroup hierarchy (v1) or of the unified one (v2). */
    private static List<Path> instanceCgroupDirs() throws IOException {
        List<Path> found = new ArrayList<>();
        for (String root : List.of("", "memory", "pids", "cpu", "blkio")) {
            Path spice = Path.of("/sys/fs/cgroup", root, "spice");
            if (Files.isDirectory(spice)) {
                try (var dirs = Files.list(spice)) {
                    dirs.filter(Files::isDirectory).forEach(found::add);
                }
            }
        }
        return found;
    }

    @Test
    void bootedAndRestoredInstancesAreInTheSameSeccompFilter() throws IOException {
        Engine e = engine();
        e.deploy(function("sandboxed"));
        InvocationResult booted = e.invoke("sandboxed", bytes("{}"), new InvokeOptions(true, true));
        InvocationResult restored = e.invoke("sandboxed", bytes("{}"), new InvokeOptions(true));
        assertThat(booted.path()).isEqualTo(InvocationPath.BOOTED);
        assertThat(restored.path()).isEqualTo(InvocationPath.RESTORED);
        for (InvocationResult r : List.of(booted, restored)) {
            JsonNode out = json(r);
            assertThat(r.errorType()).as(new String(r.payload(), StandardCharsets.UTF_8)).isNull();
            assertThat(out.get("ptrace").asText()).as(r.path() + ": ptrace").isEqualTo("EPERM");
            assertThat(out.get("mount").asText()).as(r.path() + ": mount").isEqualTo("EPERM");
            assertThat(out.get("unshare_user").asText()).as(r.path() + ": unshare(CLONE_NEWUSER)").isEqualTo("EPERM");
            assertThat(out.get("clone3").asText()).as(r.path() + ": clone3").isEqualTo("ENOSYS");
            assertThat(out.get("fork").asInt()).as(r.path() + ": fork still works").isEqualTo(7);
            assertThat(out.get("seccomp").asText()).isEqualTo("2");
            assertThat(out.get("filters").asText()).as(r.path() + ": one filter, not one per restore").isEqualTo("1");
        }
    }

    @Test
    void idleInstanceIsEvictedAfterItsKeepAlive(@TempDir Path code) throws Exception {
        Files.writeString(code.resolve("spice.yaml"), "name: brief\nruntime: python3\nhandler: app.handler\n"
                + "keep_alive_s: 1\n");
        Files.writeString(code.resolve("app.py"), "def handler(event, context):\n    return 'ok'\n");
        Engine e = engine();
        e.deploy(code);
        assertThat(e.invoke("brief", bytes("{}"), InvokeOptions.DEFAULT).path()).isEqualTo(InvocationPath.RESTORED);
        assertThat(e.invoke("brief", bytes("{}"), InvokeOptions.DEFAULT).path()).isEqualTo(InvocationPath.WARM);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!metrics(e).contains("spice_evictions_total{function=\"brief\"} 1.0") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(metrics(e)).contains("spice_instances{function=\"brief\",state=\"idle\"} 0.0");
        assertThat(e.invoke("brief", bytes("{}"), InvokeOptions.DEFAULT).path()).isEqualTo(InvocationPath.RESTORED);
    }

    @Test
    void deletedFunctionIsGone() {
        Engine e = engine();
        e.deploy(HELLO);
        assertThat(e.delete("hello")).isTrue();
        assertThat(e.functions()).isEmpty();
        assertThat(state.resolve("functions/hello")).doesNotExist();
        assertThat(e.delete("hello")).isFalse();
    }

    private static String metrics(Engine e) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        e.writeMetrics(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
