package dev.spice.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.runtime.crac.Core;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Spice's Java runtime shim: one function instance, driven by the engine over fd 0.
 *
 * <p>Started as {@code java [flags] -jar spice-runtime-java.jar HANDLER CODE_DIR}; the protocol is
 * docs/runtime-protocol.md. The snapshot is taken while the main thread blocks in read(0, ...).
 * The JVM's own threads (compiler, GC, reference handling) exist all along; the shim starts
 * none. Protocol frames go to fd 0 only: fds 1 and 2 are log pipes.
 */
public final class Main {
    private static final long START = System.nanoTime();

    private final Frames frames;
    private final Handler handler;
    private boolean restoredHooksDue;

    private Main(Frames frames, Handler handler) {
        this.frames = frames;
        this.handler = handler;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            new FileOutputStream(FileDescriptor.err).write(
                    "usage: spice-runtime-java.jar HANDLER CODE_DIR\n".getBytes(StandardCharsets.UTF_8));
            System.exit(2);
        }
        // Responses normally go back over fd 0, a socket; with SPICE_RESPONSE_FD=1 over fd 1, a
        // pipe (the benchmark's CRIU comparison: CRIU cannot dump a socket whose peer it lacks).
        int responseFd = "1".equals(System.getenv("SPICE_RESPONSE_FD")) ? 1 : 0;
        Frames frames = new Frames(responseFd);
        Output.install(responseFd);
        System.setProperty("org.crac.Core.Compat", Core.class.getPackageName()); // before the function loads org.crac
        Handler handler;
        try {
            URLClassLoader loader = FunctionClassPath.of(Path.of(args[1]));
            Thread.currentThread().setContextClassLoader(loader);
            handler = HandlerLoader.load(args[0], loader);
        } catch (HandlerLoader.HandlerException e) {
            frames.send(bytes(message("init_error").set("error",
                    ErrorObject.runtime("Runtime.HandlerNotFound", e.getMessage()))));
            System.exit(1);
            return;
        } catch (Throwable t) {
            frames.send(bytes(message("init_error").set("error", ErrorObject.of(t))));
            System.exit(1);
            return;
        }
        frames.send(bytes(message("ready").put("init_ms", (System.nanoTime() - START) / 1e6)));
        try {
            new Main(frames, handler).serve();
        } catch (Frames.ProtocolException e) {
            System.err.println("spice runtime: malformed frame: " + e.getMessage());
            System.exit(2);
        }
        System.exit(0);
    }

    /** Answers requests until the engine closes the channel. */
    private void serve() throws IOException {
        byte[] frame;
        while ((frame = frames.receive()) != null) {
            JsonNode request;
            try {
                request = Json.MAPPER.readTree(frame);
            } catch (IOException e) {
                throw new Frames.ProtocolException("frame is not UTF-8 JSON: " + e.getMessage());
            }
            if (request == null || !request.isObject()) {
                throw new Frames.ProtocolException("frame is not a JSON object");
            }
            String type = request.path("type").asText();
            frames.send(switch (type) {
                case "invoke" -> invoke(request);
                case "prepare" -> prepare();
                default -> bytes(message("error").put("message", "unknown request type '" + type + "'"));
            });
        }
    }

    private byte[] invoke(JsonNode request) {
        String requestId = request.path("request_id").asText(null);
        JsonNode event = request.get("event");
        if (requestId == null || event == null || !request.path("deadline_ms").canConvertToLong()
                || !request.path("function_name").isTextual() || !request.path("memory_mb").canConvertToInt()) {
            return bytes(message("error").put("message", "bad invoke request: " + abbreviated(request)));
        }
        ObjectNode response = message("result").put("request_id", requestId);
        if (request.has("reseed")) {
            byte[] entropy;
            try {
                entropy = HexFormat.of().parseHex(request.get("reseed").asText());
            } catch (IllegalArgumentException e) {
                return bytes(message("error").put("message", "bad reseed value: " + e.getMessage()));
            }
            String problems = Reseeder.reseed(entropy);
            if (!problems.isEmpty()) {
                System.err.print("spice runtime: could not reseed:\n" + problems);
            }
            restoredHooksDue = true;
        }
        Context context = new LambdaContext(requestId, request.get("function_name").asText(),
                request.get("memory_mb").asInt(), request.get("deadline_ms").asLong());
        Output.begin();
        long started = System.nanoTime();
        Throwable fatal = null;
        try {
            if (restoredHooksDue) {
                restoredHooksDue = false;
                Core.runAfterRestore();
            }
            response.put("ok", true).set("payload", handler.handle(event, context));
        } catch (dev.spice.runtime.crac.RestoreException e) {
            response.put("ok", false).set("error", ErrorObject.runtime("Runtime.AfterRestoreError",
                    "a CRaC afterRestore hook failed: " + suppressed(e)));
        } catch (Handler.MarshalException e) {
            response.put("ok", false).set("error", ErrorObject.runtime(e.type, e.getMessage()));
        } catch (Throwable t) {
            response.put("ok", false).set("error", ErrorObject.of(t));
            if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
                fatal = t;                                // the JVM may be unusable: answer, then end
            }
        }
        response.put("log", Output.end());
        response.put("duration_ms", Math.round((System.nanoTime() - started) / 1e3) / 1e3);
        byte[] body = encode(response);
        if (fatal != null) {
            try {
                frames.send(body);
            } catch (IOException ignored) {
                // the instance ends either way
            }
            System.exit(1);
        }
        return body;
    }

    /** The encoded response; one too large for a frame becomes an error with the log's tail. */
    private static byte[] encode(ObjectNode response) {
        byte[] body = bytes(response);
        if (body.length <= Frames.MAX_FRAME) {
            return body;
        }
        response.remove("payload");
        response.put("ok", false).set("error", ErrorObject.runtime("Runtime.ResponseTooLarge",
                "Response of " + body.length + " bytes exceeds the 64 MiB frame limit"));
        String log = response.path("log").asText();
        response.put("log", log.substring(Math.max(0, log.length() - Output.LOG_TAIL)));
        return bytes(response);
    }

    /**
     * Just before the snapshot: the CRaC beforeCheckpoint hooks, a reseeding (to link its code,
     * {@link Reseeder}), then the paper's System.gc() three times (with -Xms small the serial
     * collector also gives back the heap it no longer needs, and those pages leave the image),
     * then malloc_trim(0) to return freed native memory.
     */
    private byte[] prepare() {
        try {
            Core.runBeforeCheckpoint();
        } catch (dev.spice.runtime.crac.CheckpointException e) {
            return bytes(message("error").put("message", "a CRaC beforeCheckpoint hook failed: " + suppressed(e)));
        }
        byte[] linking = new byte[32];
        new SplittableRandom().nextBytes(linking);
        Reseeder.reseed(linking);                         // links what the first request after a restore runs
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        mallocTrim();
        return bytes(message("prepared"));
    }

    private static void mallocTrim() {
        Linker linker = Linker.nativeLinker();
        linker.defaultLookup().find("malloc_trim").ifPresent(address -> {
            MethodHandle trim = linker.downcallHandle(address,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            try {
                int ignored = (int) trim.invokeExact(0L);
            } catch (Throwable t) {
                // an untrimmed heap is only larger, not wrong
            }
        });
    }

    private static String suppressed(Exception e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t : e.getSuppressed()) {
            s.append(s.isEmpty() ? "" : "; ").append(t);
        }
        return s.toString();
    }

    private static String abbreviated(JsonNode request) {
        String text = request.toString();
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    private static ObjectNode message(String type) {
        return Json.MAPPER.createObjectNode().put("type", type);
    }

    private static byte[] bytes(JsonNode message) {
        try {
            return Json.MAPPER.writeValueAsBytes(message);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
