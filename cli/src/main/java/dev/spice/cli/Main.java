package dev.spice.cli;

import dev.spice.capture.CaptureRefusedException;
import dev.spice.engine.EngineException;
import dev.spice.image.ImageFormatException;
import dev.spice.restore.RestoreFailedException;
import dev.spice.sys.ErrnoException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/** The {@code spice} command. Failures print one line, "spice: ...", and exit non-zero. */
// scope INHERIT: every subcommand has --help and --version too.
@Command(name = "spice", mixinStandardHelpOptions = true, version = "spice 0.1.0", scope = ScopeType.INHERIT,
        description = "Serverless functions with near-warm cold starts, restored from process snapshots.",
        subcommands = {DeployCommand.class, InvokeCommand.class, FunctionsCommand.class, ServeCommand.class,
            SnapshotCommand.class, RestoreCommand.class, InspectCommand.class})
public final class Main {
    /** Exit status for a refused or failed operation (wrong usage is 2, as picocli reports it). */
    static final int FAILED = 1;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line; separate from {@link #main} so that tests can run it in-process. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExpandAtFiles(false);                  // "--payload @file" is ours to read
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println("spice: " + oneLine(e));
            return FAILED;
        });
        return cli.execute(args);
    }

    private static String oneLine(Exception e) {
        if (e instanceof CaptureRefusedException || e instanceof RestoreFailedException
                || e instanceof ImageFormatException || e instanceof ErrnoException || e instanceof EngineException) {
            return e.getMessage();
        }
        if (e instanceof UncheckedIOException u) {
            return u.getMessage() + ": " + u.getCause().getMessage();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
