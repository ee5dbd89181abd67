package dev.spice.tests;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The spice command line in a JVM of its own, as a user runs it, so that a test can SIGKILL it at
 * any point: the test JVM's class path and the options of {@code bin/spice}.
 */
final class SpiceJvm {
    private SpiceJvm() {}

    /** The command that runs spice, to which its arguments are appended. */
    static List<String> command() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.spice.cli.Main");
    }

    static TestProcess start(String... args) {
        List<String> argv = new ArrayList<>(command());
        argv.addAll(List.of(args));
        return TestProcess.start(argv, TestPrograms.environment("HOME", System.getProperty("java.io.tmpdir")));
    }
}
