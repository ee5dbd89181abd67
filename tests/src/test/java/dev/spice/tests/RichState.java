package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.sys.LineQueue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/** Starting the richstate test program (tests/src/test/c/richstate.c) and judging its output. */
final class RichState {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private RichState() {}

    /** The data file it maps and reads: 256 KiB of fixed pseudo-random bytes. */
    static Path dataFile(Path dir) {
        Path data = dir.resolve("data.bin");
        byte[] bytes = new byte[256 * 1024];
        new Random(7).nextBytes(bytes);
        try {
            Files.write(data, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return data;
    }

    /** Starts it and waits until its state is set up and it has begun to sleep {@code sleepMs}. */
    static TestProcess start(Path data, int sleepMs) {
        TestProcess p = TestProcess.start(List.of(TestPrograms.c("richstate"), data.toString(),
                Integer.toString(sleepMs)), TestPrograms.environment());
        p.stdout().awaitPrefix("ready ", TIMEOUT);
        return p;
    }

    /** Expects every self-check to pass, the echo of {@code line}, and exit code 0. */
    static void expectAllChecksPass(LineQueue out, int exitCode, String line) {
        List<String> rest = out.rest(TIMEOUT);
        assertThat(rest).filteredOn(l -> l.startsWith("check ")).isNotEmpty().allMatch(l -> l.endsWith(" ok"));
        assertThat(rest).contains("ALL OK", "got " + line);
        assertThat(exitCode).isZero();
    }
}
