package dev.spice.engine;

import static dev.spice.engine.EngineTest.bytes;
import static dev.spice.engine.EngineTest.function;
import static dev.spice.engine.EngineTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile function ({@code functions/escape}) tries every way out of its sandbox, in booted and
 * restored instances; each attempt fails, and a well-behaved function keeps answering after each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxTest {
    private static final InvokeOptions RESTORED = new InvokeOptions(true), BOOTED = new InvokeOptions(true, true);

    @TempDir
    static Path state;

    private Engine engine;

    @BeforeAll
    void deploy() {
        engine = Engine.open(EngineConfig.defaults(state));
        engine.deploy(function("escape"));
        engine.deploy(EngineTest.HELLO);
    }

    @AfterAll
    void close() {
        engine.close();
    }

    @AfterEach
    void othersKeepServing() throws IOException {
        InvocationResult hello = engine.invoke("hello", bytes("{\"name\":\"after\"}"), InvokeOptions.DEFAULT);
        assertThat(json(hello).get("message").asText()).isEqualTo("Hello, after!");
    }

    private JsonNode probe(String event, InvokeOptions how) throws IOException {
        InvocationResult r = engine.invoke("escape", bytes(event), how);
        assertThat(r.errorType()).as(new String(r.payload(), StandardCharsets.UTF_8)).isNull();
        assertThat(r.path()).isEqualTo(how.forceBoot() ? InvocationPath.BOOTED : InvocationPath.RESTORED);
        return json(r);
    }

    /** The probe's outcome in a booted and in a restored instance, which must be the same. */
    private JsonNode both(String event) throws IOException {
        JsonNode booted = probe(event, BOOTED);
        JsonNode restored = probe(event, RESTORED);
        assertThat(restored).as("restored as booted: " + event).isEqualTo(booted);
        return restored;
    }

    private static String error(JsonNode result) {
        assertThat(result.get("ok").asBoolean()).as(result.toString()).isFalse();
        return result.get("error").asText();
    }

    @Test
    void theHostsSecretsAndTheEnginesStateAreNotThere() throws IOException {
        assertThat(error(both("{\"probe\":\"read\",\"path\":\"/etc/shadow\"}"))).isEqualTo("ENOENT");
        Path snapshot = state.resolve("functions/escape/current/snapshot.img").toRealPath();
        assertThat(error(both("{\"probe\":\"read\",\"path\":\"" + snapshot + "\"}"))).isEqualTo("ENOENT");
        assertThat(error(both("{\"probe\":\"list\",\"path\":\"" + state.resolve("sandbox-root") + "\"}")))
                .isEqualTo("ENOENT");
        JsonNode functions = both("{\"probe\":\"list\",\"path\":\"" + state.resolve("functions") + "\"}");
        assertThat(functions.get("entries").toString()).as("other functions' code").isEqualTo("[\"escape\"]");
        JsonNode etc = both("{\"probe\":\"list\",\"path\":\"/etc\"}");
        assertThat(etc.get("entries").toString()).doesNotContain("shadow", "ssh", "sudoers").contains("ld.so.cache");
    }

    @Test
    void nothingOutsideTmpIsWritableAndTmpIsLimited() throws IOException {
        Path code = state.resolve("functions/escape/current/code").toRealPath();
        for (String path : List.of("/escaped", "/usr/escaped", "/etc/escaped", code + "/escaped", "/dev/escaped")) {
            assertThat(error(both("{\"probe\":\"write\",\"path\":\"" + path + "\"}"))).as(path)
                    .isIn("EROFS", "EACCES");
        }
        assertThat(both("{\"probe\":\"write\",\"path\":\"/tmp/mine\"}").get("ok").asBoolean()).isTrue();
        JsonNode filled = both("{\"probe\":\"fill_tmp\"}");
        assertThat(error(filled)).isEqualTo("ENOSPC");
        assertThat(filled.get("written").asLong()).isLessThanOrEqualTo(InstanceSandbox.TMP_BYTES);
    }

    @Test
    void itSeesOnlyItsOwnProcessesAndCanSignalNoOther() throws IOException {
        assertThat(both("{\"probe\":\"processes\"}").get("processes").toString())
                .isEqualTo("[\"python3\",\"spice-init\"]");
        long other = helloInstancePid();
        assertThat(error(both("{\"probe\":\"signal\",\"pid\":" + other + "}"))).isEqualTo("ESRCH");
        long engineJvm = ProcessHandle.current().pid();
        assertThat(error(both("{\"probe\":\"signal\",\"pid\":" + engineJvm + "}"))).isEqualTo("ESRCH");
        assertThat(error(both("{\"probe\":\"signal\",\"pid\":1}"))).as("its own init").isEqualTo("EPERM");
        assertThat(ProcessHandle.of(other)).as("the other instance lives").isPresent();
    }

    @Test
    void privilegedCallsFail() throws IOException {
        assertThat(error(both("{\"probe\":\"ptrace\",\"pid\":1}"))).isEqualTo("EPERM");
        assertThat(error(both("{\"probe\":\"mount\"}"))).isEqualTo("EPERM");
        assertThat(error(both("{\"probe\":\"module\"}"))).as("the seccomp filter").isEqualTo("EPERM");
        assertThat(error(both("{\"probe\":\"chroot\"}"))).isEqualTo("EPERM");
    }

    @Test
    void itRunsUnprivilegedWithLoopbackOnlyInTheSameSandboxBootedOrRestored() throws IOException {
        JsonNode id = both("{\"probe\":\"identity\"}");
        assertThat(id.get("uid").asInt()).isEqualTo(1000);
        assertThat(id.get("gid").asInt()).isEqualTo(1000);
        assertThat(id.get("groups").toString()).isEqualTo("[]");
        assertThat(id.get("cap_eff").asText()).isEqualTo("0000000000000000");
        assertThat(id.get("no_new_privs").asText()).isEqualTo("1");
        assertThat(id.get("uid_map").toString()).isEqualTo("[\"0\",\"0\",\"1\",\"1000\",\"" + InstanceSandbox.HOST_ID
                + "\",\"1\"]");
        assertThat(id.get("interfaces").toString()).isEqualTo("[\"lo\"]");
        assertThat(id.get("mounts").toString()).contains("\"/\"", "\"/proc\"", "\"/tmp\"", "\"/usr\"", "\"/dev/null\"");
        assertThat(id.get("fds").toString()).isEqualTo("{\"0\":\"socket\",\"1\":\"pipe\",\"2\":\"pipe\"}");
    }

    @Test
    void theHostsLoopbackIsNotReachableWithoutNetworkAndIsWithIt(@TempDir Path code) throws IOException {
        try (ServerSocket host = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            host.setSoTimeout(200);
            String connect = "{\"probe\":\"connect\",\"port\":" + host.getLocalPort() + "}";
            assertThat(error(both(connect))).isEqualTo("ECONNREFUSED");
            assertThat(accepted(host)).isFalse();

            engine.deploy(copyOfEscape(code, "networked", "network: host\n"));
            InvocationResult r = engine.invoke("networked", bytes(connect), RESTORED);
            assertThat(json(r).get("ok").asBoolean()).as(json(r).toString()).isTrue();
            assertThat(accepted(host)).isTrue();
        }
    }

    @Test
    void nothingItStartedOutlivesItsTimeout(@TempDir Path code) throws Exception {
        Path lingerer = copyOfEscape(code, "lingerer", "");
        engine.deploy(lingerer);
        InvocationResult r = engine.invoke("lingerer", bytes("{\"probe\":\"linger\",\"seconds\":30}"), RESTORED);
        assertThat(r.errorType()).isEqualTo("Sandbox.Timedout");
        String marker = state.resolve("functions/lingerer").toString();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!processesWith(marker).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(processesWith(marker)).as("the instance and its detached grandchild are gone").isEmpty();
    }

    /** A copy of the escape function under another name, with {@code extra} lines in its manifest. */
    private static Path copyOfEscape(Path dir, String name, String extra) throws IOException {
        Path src = function("escape");
        Files.writeString(dir.resolve("app.py"), Files.readString(src.resolve("app.py")));
        Files.writeString(dir.resolve("spice.yaml"), Files.readString(src.resolve("spice.yaml"))
                .replace("name: escape", "name: " + name) + extra);
        return dir;
    }

    private static boolean accepted(ServerSocket server) throws IOException {
        try {
            server.accept().close();
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    /** The host PID of a live instance of hello (started by the test's last invocation). */
    private long helloInstancePid() throws IOException {
        return processesWith(state.resolve("functions/hello").toString()).stream().findFirst()
                .orElseThrow(() -> new AssertionError("no instance of hello is running"));
    }

    /** Host PIDs of the processes whose command line contains {@code marker}. */
    private static List<Long> processesWith(String marker) throws IOException {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    if (Files.readString(p.resolve("cmdline")).replace('\0', ' ').contains(marker)) {
                        found.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // ended meanwhile
                }
            }
        }
        return found;
    }
}
