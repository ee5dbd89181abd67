package dev.spice.cli;

import dev.spice.capture.Capturer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "snapshot", description = "Capture a running process into an image file (the process is killed "
        + "afterwards unless --leave-running).")
final class SnapshotCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--pid", required = true, description = "process to capture")
    int pid;

    @Option(names = "--image", required = true, description = "image file to write (replaced atomically)")
    Path image;

    @Option(names = "--leave-running", description = "let the process continue after the capture")
    boolean leaveRunning;

    @Override
    public Integer call() {
        Capturer.Result r = Capturer.capture(pid, image, leaveRunning);
        spec.commandLine().getOut().printf("captured process %d into %s: %s, %d pages stored, %d mappings, %.1f ms%n",
                r.pid(), r.image(), Sizes.human(r.imageBytes()), r.storedPages(), r.mappings(),
                r.durationNanos() / 1e6);
        return 0;
    }
}
