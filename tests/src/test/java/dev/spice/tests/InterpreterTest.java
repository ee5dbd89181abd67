package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Interpreters the project knows nothing about, started through a shell so that they are not
 * even our children, captured half-way through a loop: the restored one finishes the loop.
 */
class InterpreterTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/perl counter.pl", "/usr/bin/tclsh counter.tcl"})
    void restoredInterpreterFinishesTheLoop(String command) {
        String[] parts = command.split(" ");
        String script = TestPrograms.resource(parts[1]);
        List<String> expected = new ArrayList<>();
        String name = parts[1].endsWith(".pl") ? "perl" : "tcl";
        for (int i = 1; i <= 40; i++) {
            expected.add(name + " " + i + " " + i * i);
        }
        expected.add("done");

        Path image = dir.resolve(name + ".img");
        List<String> combined = new ArrayList<>();
        // sh starts the interpreter in the background and exits: the interpreter is an orphan.
        try (TestProcess shell = TestProcess.start(List.of("/bin/sh", "-c",
                parts[0] + " " + script + " & echo pid $!"), TestPrograms.environment())) {
            int pid = Integer.parseInt(shell.stdout().awaitPrefix("pid ", TIMEOUT).substring(4));
            assertThat(shell.waitFor()).isZero();
            shell.stdout().awaitPrefix(name + " 10 ", TIMEOUT);
            Capturer.capture(pid, image, false);
            shell.stdout().rest(TIMEOUT);
            combined.addAll(shell.stdout().seen().subList(1, shell.stdout().seen().size()));
        }
        try (Restored restored = Restored.restore(image)) {
            combined.addAll(restored.stdout().rest(TIMEOUT));
            assertThat(restored.waitFor()).isZero();
        }
        assertThat(combined).containsExactlyElementsOf(expected);
    }
}
