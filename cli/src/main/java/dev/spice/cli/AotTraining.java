package dev.spice.cli;

import dev.spice.api.ApiSecurity;
import dev.spice.api.ApiServer;
import dev.spice.engine.Engine;
import dev.spice.engine.EngineConfig;
import dev.spice.sys.FileTrees;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * The training runs of the JVM's ahead-of-time caches (JEP 483/514/515), made by bin/spice when the
 * jars change (docs/startup.md). A cache holds the classes its training loaded, all loaded again at
 * every start, and the profiles of its hot methods; so there are two, each trained on what it
 * serves. {@code client}: every help text, and given a function, a deploy, cold invocations
 * without a server, an inspect, and invocations through a server that runs in another JVM (so
 * that none of the server's classes weigh on the commands). {@code server}: what {@code spice
 * serve} runs, an engine and its API in this JVM, driven by cold and warm requests. What cannot
 * run here (no root, no python3) is left out of the cache, never an error.
 * Usage: {@code AotTraining client|server [FUNCTION_DIR]}.
 */
public final class AotTraining {
    private static final int REPEATS = 5;
    private static final PrintWriter SINK = new PrintWriter(Writer.nullWriter(), true);

    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        boolean server = args.length > 0 && args[0].equals("server");
        if (!server) {
            spice("--version");
            spice("--help");
            for (String command : new CommandLine(new Main()).getSubcommands().keySet()) {
                spice(command, "--help");
            }
        }
        if (args.length < 2) {
            return;
        }
        Path state = Files.createTempDirectory("spice-aot-training");
        try {
            String dir = state.toString();
            if (spice("deploy", args[1], "--local", "--state-dir", dir) != 0) {
                return;
            }
            String name = Path.of(args[1]).getFileName().toString();
            if (server) {
                serve(state, name);
            } else {
                for (int i = 0; i < REPEATS; i++) {
                    spice("invoke", name, "--cold", "--timings", "--local", "--state-dir", dir);
                }
                spice("functions", "--local", "--state-dir", dir);
                spice("inspect", "--image", state.resolve("functions").resolve(name).resolve("current")
                        .resolve("snapshot.img").toString());
                throughServerElsewhere(dir, name);
            }
        } finally {
            FileTrees.delete(state);
        }
    }

    /** An engine and its API in this JVM, as {@code spice serve} runs them, with cold and warm requests. */
    private static void serve(Path state, String name) throws Exception {
        try (Engine engine = Engine.open(EngineConfig.defaults(state).withKeepDeployed(true).withZygotes(2));
                ApiServer server = ApiServer.start(engine, "127.0.0.1", 0, ApiSecurity.open())) {
            engine.warmUp(2, Duration.ofSeconds(5));
            HttpClient http = HttpClient.newHttpClient();
            URI invoke = server.uri().resolve("/2015-03-31/functions/" + name + "/invocations");
            for (int i = 0; i < REPEATS; i++) {
                for (String cold : List.of("true", "false")) {
                    http.send(HttpRequest.newBuilder(invoke).header("X-Spice-Cold", cold)
                            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
                }
            }
            for (String path : List.of("/healthz", "/metrics", "/functions")) {
                http.send(HttpRequest.newBuilder(server.uri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
            }
        }
    }

    /** The client commands against {@code spice serve} in a JVM of its own. */
    private static void throughServerElsewhere(String state, String name) throws Exception {
        Process serve = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--state-dir", state, "--port", "0")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = serve.inputReader(StandardCharsets.UTF_8);
            for (String line; (line = out.readLine()) != null;) {
                int on = line.indexOf(" on http://");
                if (line.startsWith("spice: serving") && on > 0) {
                    String endpoint = line.substring(on + 4, line.indexOf(' ', on + 4));
                    for (int i = 0; i < REPEATS; i++) {
                        spice("invoke", name, "--endpoint", endpoint);
                        spice("invoke", name, "--cold", "--endpoint", endpoint);
                    }
                    spice("functions", "--endpoint", endpoint);
                    break;
                }
            }
        } finally {
            serve.destroy();                        // SIGTERM: the server closes its engine
            if (!serve.waitFor(30, TimeUnit.SECONDS)) {
                serve.destroyForcibly().waitFor();
            }
        }
    }

    private static int spice(String... args) {
        return Main.run(args, SINK, SINK);
    }
}
