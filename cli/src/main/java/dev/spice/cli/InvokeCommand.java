package dev.spice.cli;

import dev.spice.engine.Engine;
import dev.spice.engine.InvocationResult;
import dev.spice.engine.InvokeOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "invoke", description = "Invoke a function and print what it returned (exit status 1 if it "
        + "failed). Uses the running server if there is one; otherwise restores an instance here.")
final class InvokeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engine;

    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "NAME", description = "function name")
    String name;

    @Option(names = "--payload", description = "the event: JSON, or @FILE to read it from a file (default: {})")
    String payload;

    @Option(names = "--cold", description = "restore a new instance from the snapshot even if a warm one is idle, "
            + "and print the timing breakdown")
    boolean cold;

    @Option(names = "--log", description = "print the invocation's log to stderr")
    boolean log;

    @Option(names = "--timings", description = "print how the instance was obtained and the timing breakdown to stderr")
    boolean timings;

    @Override
    public Integer call() {
        byte[] event = event();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RemoteEngine remote = server.remote(engine.config().stateDir());
        try (Engine e = remote != null ? null : Engine.open(engine.config())) {
            if (remote != null) {
                RemoteEngine.Invocation r = remote.invoke(name, event, cold);
                out.println(new String(r.payload(), StandardCharsets.UTF_8));
                report(err, r.log(), r.path(), r.timings());
                return exit(err, r.errorType());
            }
            InvocationResult r = e.invoke(name, event, new InvokeOptions(cold));
            out.println(new String(r.payload(), StandardCharsets.UTF_8));
            report(err, r.log(), r.path().label(), r.timings().toString());
            return exit(err, r.errorType());
        }
    }

    private int exit(PrintWriter err, String errorType) {
        if (errorType != null) {
            err.println("spice: " + name + " failed: " + errorType);
            return Main.FAILED;
        }
        return 0;
    }

    private void report(PrintWriter err, String invocationLog, String path, String timings) {
        if (log) {
            err.print(invocationLog);
        }
        if (cold || this.timings) {
            err.println("spice: path " + path + ": " + timings);
        }
    }

    private byte[] event() {
        if (payload == null) {
            return "{}".getBytes(StandardCharsets.UTF_8);
        }
        if (payload.startsWith("@")) {
            try {
                return Files.readAllBytes(Path.of(payload.substring(1)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the payload file " + payload.substring(1), e);
            }
        }
        return payload.getBytes(StandardCharsets.UTF_8);
    }
}
