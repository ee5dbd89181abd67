package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import dev.spice.image.ImageReader;
import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real runtime's kernel objects: Python's asyncio loop holds an epoll instance and a socket
 * pair (its self-pipe) beyond its stdio. Captured while the loop waits in epoll_wait, the restored
 * loop still answers, through the same epoll and self-pipe.
 */
class AsyncioTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void restoredEventLoopKeepsRunning() {
        Path image = dir.resolve("asyncio.img");
        try (TestProcess original = TestProcess.start(List.of(TestPrograms.PYTHON, "-S",
                TestPrograms.resource("asyncio_echo.py")), TestPrograms.environment())) {
            original.stdout().awaitPrefix("ready ", TIMEOUT);
            original.stdio.writeLine("before");
            assertThat(original.stdout().awaitPrefix("echo ", TIMEOUT)).isEqualTo("echo BEFORE");
            Capturer.capture(original.pid, image, false);
        }
        assertThat(ImageReader.read(image).contents().fds()).extracting(FdRecord::kind)
                .contains(FdKind.EPOLL, FdKind.UNIX_PAIR);
        try (Restored restored = Restored.restore(image)) {
            for (String word : List.of("one", "two", "three")) {
                restored.stdio.writeLine(word);
                assertThat(restored.stdout().awaitPrefix("echo ", TIMEOUT)).isEqualTo("echo " + word.toUpperCase());
            }
            restored.stdio.closeInput();
            assertThat(restored.stdout().awaitPrefix("done", TIMEOUT)).isEqualTo("done");
            assertThat(restored.waitFor()).isZero();
        }
    }
}
