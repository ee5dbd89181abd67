package dev.spice.bench.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import dev.spice.api.ApiCredentials;
import dev.spice.api.SigV4;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code spice serve} as a process of its own, in a session of its own ({@code setsid}), so that
 * every process it starts can be found afterwards by its session id; its output goes to a log file.
 */
final class LoadServer implements AutoCloseable {
    /** Seconds an idle instance is kept: short, so that the server is back to no instances soon after the load. */
    static final int KEEP_ALIVE_S = 2;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final List<Path> CGROUP_ROOTS = Stream.of("", "memory", "pids", "cpu", "blkio")
            .map(h -> Path.of("/sys/fs/cgroup", h, "spice")).toList();
    private static final Pattern INSTANCES = Pattern.compile("(?m)^spice_instances\\{[^}]*} ([0-9.]+)$");
    private static final Pattern INVOCATIONS = Pattern.compile("(?m)^spice_invocations_total\\{function=\"([^\"]+)\",[^}]*} ([0-9.]+)$");

    final int port;
    final int pid;
    private final Process process;
    private final HttpClient http = HttpClient.newHttpClient();

    private final ApiCredentials.Key key;

    private LoadServer(Process process, int port, ApiCredentials.Key key) {
        this.process = process;
        this.pid = (int) process.pid();
        this.port = port;
        this.key = key;
    }

    /** Runs {@code spice} (the command line, e.g. bin/spice) with {@code args}; fails with its output if it fails. */
    static void run(List<String> spice, Path log, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(spice);
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (p.waitFor() != 0) {
            List<String> lines = Files.readAllLines(log);
            throw new IllegalStateException("spice " + String.join(" ", args) + " failed: "
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
        }
    }

    /** Starts the server on a free port of the loopback and waits until it serves. */
    static LoadServer start(List<String> spice, Path stateDir, Path log) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> argv = new ArrayList<>(List.of("setsid"));
        argv.addAll(spice);
        argv.addAll(List.of("serve", "--state-dir", stateDir.toString(), "--port", Integer.toString(port),
                "--keep-alive", Integer.toString(KEEP_ALIVE_S)));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        CountDownLatch serving = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> copy(p, log, serving));
        if (!serving.await(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IllegalStateException("spice serve did not start within " + START_TIMEOUT + "; see " + log);
        }
        // Serving means its key exists (created on its first start).
        return new LoadServer(p, port, ApiCredentials.load(stateDir.resolve(ApiCredentials.STATE_FILE)).first());
    }

    private static void copy(Process p, Path log, CountDownLatch serving) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintStream out = new PrintStream(Files.newOutputStream(log), true, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null;) {
                out.println(line);
                if (line.startsWith("spice: serving")) {
                    serving.countDown();
                }
            }
        } catch (IOException e) {
            // the server is gone; its exit is checked where it matters
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /**
     * A request signed (SigV4) with the key the server created in its state directory: the load
     * includes the signature check every real client's request goes through.
     */
    HttpRequest.Builder signed(String method, String path, byte[] body) {
        URI uri = uri(path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        SigV4.sign(key, "us-east-1", method, uri.getRawAuthority(), uri.getRawPath(), uri.getRawQuery(), body,
                Instant.now()).forEach(b::header);
        return b;
    }

    /** The server's open file descriptors now. */
    int openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Integer.toString(pid), "fd"))) {
            return (int) fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String metrics() throws IOException, InterruptedException {
        return http.send(signed("GET", "/metrics", new byte[0]).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Waits until the server has no instance left (the evictor ends idle ones after the keep-alive). */
    void awaitNoInstances(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Matcher m = INSTANCES.matcher(metrics());
            double instances = 0;
            while (m.find()) {
                instances += Double.parseDouble(m.group(1));
            }
            if (instances == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(instances + " instances still alive after " + timeout);
            }
            Thread.sleep(200);
        }
    }

    /** Invocations the server counted for {@code function}, over every path. */
    long invocations(String function) throws IOException, InterruptedException {
        Matcher m = INVOCATIONS.matcher(metrics());
        long count = 0;
        while (m.find()) {
            if (m.group(1).equals(function)) {
                count += (long) Double.parseDouble(m.group(2));
            }
        }
        return count;
    }

    /** Stops the server (SIGTERM, as a user would; SIGKILL if it does not end) and returns its exit code. */
    int stop() throws InterruptedException {
        http.close();
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        return process.exitValue();
    }

    /** Processes of the server's session still alive (not zombies), as "PID (COMM)", after up to {@code timeout}. */
    List<String> processesLeft(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> left;
        while (!(left = sessionMembers()).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return left;
    }

    private List<String> sessionMembers() {
        List<String> members = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs.filter(p -> p.getFileName().toString().matches("\\d+"))::iterator) {
                String stat;
                try {
                    stat = Files.readString(p.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");   // state ppid pgrp session
                if (Integer.parseInt(fields[3]) == pid && !fields[0].equals("Z")) {
                    members.add(stat.substring(0, stat.lastIndexOf(')') + 1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return members;
    }

    /** The cgroup directories of this server's instances and zygotes (named NAME-N-PID) still present. */
    List<Path> cgroupsLeft() throws IOException {
        List<Path> left = new ArrayList<>();
        for (Path root : CGROUP_ROOTS) {
            if (Files.isDirectory(root)) {
                try (Stream<Path> dirs = Files.list(root)) {
                    dirs.filter(d -> Files.isDirectory(d) && d.getFileName().toString().endsWith("-" + pid)).forEach(left::add);
                }
            }
        }
        return left;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        http.close();
    }
}
