package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine ({@code spice serve}) SIGKILLed while it restores instances for concurrent requests
 * (docs/faults.md): every instance, launcher and zygote it started dies with it (their cgroups, named
 * after the engine's PID, end up empty; nothing is left in its session either), and an engine started again on the same state directory
 * removes those cgroups and serves. Kill points come from a printed seed ({@code -Dspice.fault.seed}).
 */
class EngineKillTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final List<Path> CGROUP_ROOTS = List.of(Path.of("/sys/fs/cgroup/spice"), Path.of("/sys/fs/cgroup/memory/spice"),
            Path.of("/sys/fs/cgroup/pids/spice"));
    static final int CLIENTS = 4;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void killedDuringRestoresLeavesNothingAndARestartServes() throws Exception {
        Random random = FaultPoints.random("EngineKillTest");
        String state = dir.resolve("state").toString();
        try (TestProcess deploy = SpiceJvm.start("deploy", "../functions/hello", "--local", "--state-dir", state)) {
            assertThat(deploy.waitFor()).as("deploy: %s", deploy.stdio.stderr.seen()).isZero();
        }
        int port = freePort();
        List<Integer> killed = new ArrayList<>();

        for (int round = 0; round < 2; round++) {
            try (TestProcess engine = serve(state, port)) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger answered = new AtomicInteger();
                try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                    for (int i = 0; i < CLIENTS; i++) {
                        clients.submit(() -> invokeUntil(stop, port, answered));
                    }
                    awaitAnswers(answered, 1);
                    Thread.sleep(random.nextInt(1000));
                    engine.close(); // SIGKILL, then reaped
                    stop.set(true);
                }
                System.out.printf("EngineKillTest: engine %d killed after %d answers%n", engine.pid, answered.get());
                assertNothingLeftOf(engine.pid);
                Session.awaitEmpty(engine.pid, Duration.ofSeconds(10));
                killed.add(engine.pid);
            }
        }

        try (TestProcess engine = serve(state, port)) {
            HttpResponse<String> r = invoke(port);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("Hello, fault!");
            for (int pid : killed) {
                assertThat(cgroupsOf(pid)).as("cgroups of killed engine %d, removed by the next one", pid).isEmpty();
            }
        }
    }

    private TestProcess serve(String state, int port) {
        TestProcess engine = SpiceJvm.start("serve", "--state-dir", state, "--port", Integer.toString(port),
                "--keep-alive", "0", "--no-auth");                    // the kill is the subject, not the API
        engine.stdout().awaitPrefix("spice: serving", TIMEOUT);
        return engine;
    }

    /** Invokes with a fresh restore each time (keep-alive 0) until told to stop or the engine is gone. */
    private void invokeUntil(AtomicBoolean stop, int port, AtomicInteger answered) {
        while (!stop.get()) {
            try {
                if (invoke(port).statusCode() == 200) {
                    answered.incrementAndGet();
                }
            } catch (IOException e) {
                return; // the engine was killed
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private HttpResponse<String> invoke(int port) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/2015-03-31/functions/hello/invocations")).timeout(TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"fault\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitAnswers(AtomicInteger answered, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (answered.get() < count) {
            assertThat(System.nanoTime()).as("first answers from the engine").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** Within a few seconds, no process is left in any cgroup of the killed engine. */
    private static void assertNothingLeftOf(int enginePid) throws Exception {
        List<Path> cgroups = cgroupsOf(enginePid);
        assertThat(cgroups).as("cgroups of engine %d (its zygotes' at least)", enginePid).isNotEmpty();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> left;
        do {
            left = new ArrayList<>();
            for (Path c : cgroups) {
                for (String pid : Files.readAllLines(c.resolve("cgroup.procs"))) {
                    left.add(c.getFileName() + ":" + pid + ":" + comm(pid));
                }
            }
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("processes left by killed engine " + enginePid + ": " + left);
    }

    /** The cgroups of the engine with this PID. */
    private static List<Path> cgroupsOf(int enginePid) throws IOException {
        List<Path> result = new ArrayList<>();
        for (Path root : CGROUP_ROOTS) {
            if (Files.isDirectory(root)) {
                try (Stream<Path> dirs = Files.list(root)) {
                    dirs.filter(Files::isDirectory)
                            .filter(d -> d.getFileName().toString().endsWith("-" + enginePid))
                            .forEach(result::add);
                }
            }
        }
        return result;
    }

    private static String comm(String pid) {
        try {
            return Files.readString(Path.of("/proc", pid, "comm")).strip();
        } catch (IOException e) {
            return "gone";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
