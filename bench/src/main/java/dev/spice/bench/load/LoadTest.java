package dev.spice.bench.load;

import dev.spice.sys.FileTrees;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A load test of {@code spice serve} from this process over the loopback: the functions are
 * deployed into a fresh state directory, the server started in a session of its own, and
 * {@code clients} clients per function invoke it through the Lambda endpoint for the duration,
 * each request with a unique id that its answer must carry. Afterwards the server must have no
 * more descriptors than before the load (idle instances evicted) and, once stopped, leave no
 * process in its session and no cgroup behind.
 *
 * @param spice     the command line that runs spice (bin/spice, or a java command)
 * @param functions each function to deploy: its source directory, the name it gets, and its
 *                  max_concurrency (null: the manifest's)
 */
public record LoadTest(List<String> spice, List<Target> functions, int clientsPerFunction, Duration duration,
        Path stateDir, Path outDir) {
    /** Descriptors the server may hold after the load beyond those before it (Jetty's selectors, lazily made pools). */
    public static final int FD_SLACK = 8;

    public record Target(Path source, String name, Integer maxConcurrency) {}

    /** Everything the run found; {@link #failures} is empty when it passed. */
    public record Result(List<FunctionLoad> loads, int fdsBefore, int fdsAfter, List<String> processesLeft,
            List<Path> cgroupsLeft, int serverExit, Duration measured) {
        public List<String> failures() {
            List<String> f = new ArrayList<>();
            for (FunctionLoad l : loads) {
                long wrong = l.lost.get() + l.duplicated.get() + l.mismatched.get();
                if (wrong > 0) {
                    f.add(l.function.name() + ": " + l.lost.get() + " lost, " + l.duplicated.get() + " duplicated, "
                            + l.mismatched.get() + " mismatched " + l.firstErrors);
                }
                if (l.ok.get() == 0) {
                    f.add(l.function.name() + ": no answer at all");
                }
                if (l.serverInvocations != l.ok.get() + l.mismatched.get()) {
                    f.add(l.function.name() + ": the server counted " + l.serverInvocations + " invocations for "
                            + (l.ok.get() + l.mismatched.get()) + " answers");
                }
            }
            if (fdsAfter > fdsBefore + FD_SLACK) {
                f.add("the server holds " + fdsAfter + " descriptors after the load, " + fdsBefore + " before");
            }
            if (!processesLeft.isEmpty()) {
                f.add("processes left in the server's session: " + processesLeft);
            }
            if (!cgroupsLeft.isEmpty()) {
                f.add("cgroups left: " + cgroupsLeft);
            }
            return f;
        }
    }

    public Result run() throws IOException, InterruptedException {
        Files.createDirectories(outDir);
        Path log = outDir.resolve("server.log");
        Path code = Files.createDirectories(stateDir.resolve("load-functions"));
        List<LoadFunction> deployed = new ArrayList<>();
        for (Target t : functions) {
            LoadFunction f = LoadFunction.prepare(t.source(), t.name(), t.maxConcurrency(), code);
            LoadServer.run(spice, log, "deploy", f.dir().toString(), "--local", "--state-dir", stateDir.toString());
            deployed.add(f);
        }
        try (LoadServer server = LoadServer.start(spice, stateDir, log)) {
            // The baseline: every function invoked once (what a first request opens stays open), then idle.
            try (HttpClient http = client()) {
                for (LoadFunction f : deployed) {
                    invoke(http, server, f, f.name() + "-first", new FunctionLoad(f, 1));
                }
            }
            server.awaitNoInstances(Duration.ofSeconds(30));
            int fdsBefore = server.openFds();
            Map<String, Long> countedBefore = new LinkedHashMap<>();
            for (LoadFunction f : deployed) {
                countedBefore.put(f.name(), server.invocations(f.name()));
            }

            List<FunctionLoad> loads = deployed.stream().map(f -> new FunctionLoad(f, clientsPerFunction)).toList();
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            Map<String, Boolean> answered = new ConcurrentHashMap<>();
            try (HttpClient http = client(); ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (FunctionLoad l : loads) {
                    for (int c = 0; c < l.clients; c++) {
                        String prefix = l.function.name() + "-" + c + "-";
                        clients.submit(() -> {
                            for (long seq = 0; System.nanoTime() < end; seq++) {
                                String id = prefix + seq;
                                String answer = invoke(http, server, l.function, id, l);
                                if (answer != null && answered.putIfAbsent(answer, true) != null) {
                                    l.duplicated.incrementAndGet();
                                }
                            }
                            return null;
                        });
                    }
                }
            }
            Duration measured = Duration.ofNanos(System.nanoTime() - start);
            for (FunctionLoad l : loads) {
                l.serverInvocations = server.invocations(l.function.name()) - countedBefore.get(l.function.name());
            }
            server.awaitNoInstances(Duration.ofSeconds(60));
            int fdsAfter = awaitFds(server, fdsBefore + FD_SLACK);
            int exit = server.stop();
            Result r = new Result(loads, fdsBefore, fdsAfter, server.processesLeft(Duration.ofSeconds(10)),
                    server.cgroupsLeft(), exit, measured);
            LoadReport.write(r, outDir.resolve("load.md"));
            if (r.failures().isEmpty()) {
                FileTrees.delete(stateDir);     // kept for a look when something failed
            }
            return r;
        }
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Waits a little for closed connections to close on the server's side too; the count in the end. */
    private static int awaitFds(LoadServer server, int atMost) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int fds;
        while ((fds = server.openFds()) > atMost && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return fds;
    }

    /**
     * One request; counts its outcome into {@code load} and returns the load_id its answer named
     * (null if none). Waits up to the engine's queue time (30 s) plus the function's own.
     */
    private static String invoke(HttpClient http, LoadServer server, LoadFunction f, String id, FunctionLoad load) {
        load.requests.incrementAndGet();
        HttpRequest request = server.signed("POST", "/2015-03-31/functions/" + f.name() + "/invocations", f.request(id))
                .timeout(Duration.ofSeconds(90)).build();
        long sent = System.nanoTime();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            load.lost(id + ": " + e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            load.lost(id + ": interrupted");
            return null;
        }
        long nanos = System.nanoTime() - sent;
        if (response.statusCode() == 429) {
            load.throttled.incrementAndGet();
            return null;
        }
        LoadFunction.Answer answer = LoadFunction.answer(response.body());
        if (response.statusCode() != 200 || response.headers().firstValue("X-Amz-Function-Error").isPresent()
                || answer.loadId() == null || !answer.verified()) {
            load.lost(id + ": " + response.statusCode() + " " + abbreviated(response.body()));
            return answer.loadId();
        }
        if (!answer.loadId().equals(id)) {
            load.mismatched.incrementAndGet();
        } else {
            load.answered(nanos);
        }
        return answer.loadId();
    }

    private static String abbreviated(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
