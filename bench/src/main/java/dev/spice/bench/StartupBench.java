package dev.spice.bench;

import dev.spice.sys.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How fast Spice is from its first request (issue 14): the wall time of {@code bin/spice} commands
 * as a user runs them, and the restores right after {@code bin/spice serve} starts against the
 * steady state. Usage: {@code StartupBench SPICE_COMMAND FUNCTION_DIR [RUNS]} (scripts/bench-startup.sh).
 */
public final class StartupBench {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern RESTORE = Pattern.compile(" restore ([0-9.]+) ");
    private static final int FIRST = 5, STEADY = 20;

    private final String spice;
    private final Path state;
    private final int runs;

    private StartupBench(String spice, Path state, int runs) {
        this.spice = spice;
        this.state = state;
        this.runs = runs;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: StartupBench SPICE_COMMAND FUNCTION_DIR [RUNS]");
            System.exit(2);
        }
        Path state = Files.createTempDirectory("spice-startup-bench");
        StartupBench b = new StartupBench(args[0], state, args.length > 2 ? Integer.parseInt(args[2]) : 10);
        Path function = Path.of(args[1]).toAbsolutePath();
        String name = function.getFileName().toString();
        b.run("deploy", function.toString(), "--local", "--state-dir", state.toString());
        System.out.printf("startup benchmark: %d runs each, medians of wall time (ms); function %s%n", b.runs, name);
        b.report("spice --version", b.wallTimes("--version"));
        b.report("spice invoke " + name + " --cold (no server)",
                b.wallTimes("invoke", name, "--cold", "--local", "--state-dir", state.toString()));
        try {
            b.server(name);
        } finally {
            FileTrees.delete(state);
        }
    }

    private void server(String name) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process serve = new ProcessBuilder(spice, "serve", "--state-dir", state.toString(), "--port",
                Integer.toString(port), "--no-auth").redirectErrorStream(true).start();   // start-up, not the API
        try {
            long started = System.nanoTime();
            var out = serve.inputReader(StandardCharsets.UTF_8);
            for (String line; (line = out.readLine()) != null && !line.startsWith("spice: serving");) {
                // start-up log
            }
            System.out.printf("  %-44s %8.1f%n", "spice serve until listening", (System.nanoTime() - started) / 1e6);
            Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> { }));
            HttpClient http = HttpClient.newHttpClient();
            List<Double> restores = new ArrayList<>();
            for (int i = 0; i < FIRST + STEADY; i++) {
                restores.add(coldRestoreMillis(http, port, name));
            }
            double steady = median(restores.subList(FIRST, restores.size()));
            StringBuilder first = new StringBuilder();
            for (double r : restores.subList(0, FIRST)) {
                first.append(String.format(Locale.ROOT, " %.1f", r));
            }
            System.out.printf("  restores after the start (ms):%s; steady state (median of the next %d) %.1f;"
                    + " first / steady %.2fx%n", first, STEADY, steady, restores.getFirst() / steady);
            report("spice invoke " + name + " (through the server)",
                    wallTimes("invoke", name, "--endpoint", "http://127.0.0.1:" + port));
        } finally {
            serve.destroy();
            if (!serve.waitFor(30, TimeUnit.SECONDS)) {
                serve.destroyForcibly().waitFor();
            }
        }
    }

    /** A cold invocation through the API; the restore time the engine reports for it. */
    private static double coldRestoreMillis(HttpClient http, int port, String name) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/2015-03-31/functions/" + name + "/invocations")).header("X-Spice-Cold", "true")
                .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        String timings = r.headers().firstValue("X-Spice-Timings").orElse("");
        Matcher m = RESTORE.matcher(timings);
        if (r.statusCode() != 200 || !m.find()) {
            throw new IllegalStateException("a cold invocation was not restored: " + r.statusCode() + " " + timings);
        }
        return Double.parseDouble(m.group(1));
    }

    private List<Double> wallTimes(String... args) {
        run(args);                                      // first use: caches, page cache
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            run(args);
            times.add((System.nanoTime() - start) / 1e6);
        }
        return times;
    }

    private void run(String... args) {
        List<String> argv = new ArrayList<>(List.of(spice));
        argv.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.PIPE).start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed: " + err.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void report(String what, List<Double> times) {
        System.out.printf("  %-44s %8.1f   (min %.1f, max %.1f)%n", what, median(times),
                times.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                times.stream().mapToDouble(Double::doubleValue).max().orElse(0));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
