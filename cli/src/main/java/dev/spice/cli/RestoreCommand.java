package dev.spice.cli;

import dev.spice.restore.LaunchedProcess;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.Launcher;
import dev.spice.restore.Prefetch;
import dev.spice.sys.Fds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "restore", description = "Restore a process from an image into fresh PID and mount namespaces. "
        + "Without --detach, waits for it and exits with its exit status.")
final class RestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--image", required = true, description = "image file")
    Path image;

    @Option(names = "--detach", description = "return once the process runs")
    boolean detach;

    @Option(names = "--pid-file", description = "with --detach: write the restored process's PID here")
    Path pidFile;

    @Option(names = "--timings", description = "print where the restore spent its time to stderr")
    boolean timings;

    @Option(names = "--prefetch", defaultValue = "FULL", description = "what to do with the image's working set "
            + "before the process runs: NONE (map lazily), READ (read and map it), FULL (also copy the pages it "
            + "writes; default)", converter = PrefetchConverter.class)
    Prefetch prefetch;

    /** Accepts the user-facing modes only (RECORD is the engine's). */
    static final class PrefetchConverter implements ITypeConverter<Prefetch> {
        @Override
        public Prefetch convert(String value) {
            return switch (value.toUpperCase(Locale.ROOT)) {
                case "NONE" -> Prefetch.NONE;
                case "READ" -> Prefetch.READ;
                case "FULL" -> Prefetch.FULL;
                default -> throw new TypeConversionException("expected none, read or full, not '" + value + "'");
            };
        }
    }

    @Override
    public Integer call() {
        if (pidFile != null && !detach) {
            throw new ParameterException(spec.commandLine(), "--pid-file needs --detach");
        }
        if (!detach) {
            // A lifeline: if this command is killed, the launcher ends the restored process too.
            int[] lifeline = Fds.pipe();
            try {
                LaunchedProcess p = Launcher.restore(image, new LaunchOptions(Map.of(), false, List.of(), lifeline[0],
                        prefetch, null));
                printTimings(p);
                return p.waitFor();
            } finally {
                Fds.close(lifeline[0]);
                Fds.close(lifeline[1]);
            }
        }
        LaunchedProcess p = Launcher.restore(image, new LaunchOptions(Map.of(), true, List.of(), -1, prefetch, null));
        printTimings(p);
        if (pidFile != null) {
            writeAtomically(pidFile, p.pid() + "\n");
        } else {
            spec.commandLine().getOut().println(p.pid());
        }
        return 0;
    }

    private void printTimings(LaunchedProcess p) {
        if (timings) {
            spec.commandLine().getErr().println("spice: restored PID " + p.pid() + ": " + p.timings());
        }
    }

    private static void writeAtomically(Path file, String content) {
        try {
            Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), ".pid", ".tmp");
            Files.writeString(temp, content);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
