package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.capture.Capturer;
import dev.spice.image.ImageFormatException;
import dev.spice.image.ImageReader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image file changed while instances restored from it run (docs/faults.md). Replaced by a
 * rename, as every spice writer does: running instances keep the old file, new restores get the
 * new one. Overwritten in place or truncated: no new restore runs on it (checksum, length).
 */
class ImageChangedUnderInstancesTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    /** Captures a generated layout into {@code image}; returns the checksum of its memory. */
    private String capture(String seed, Path image) throws IOException {
        Path files = Files.createDirectories(dir.resolve("files-" + seed));
        try (TestProcess p = TestProcess.start(List.of(TestPrograms.c("memlayout"), files.toString(), seed, "64"),
                TestPrograms.environment())) {
            String sum = p.stdout().awaitPrefix("ready ", TIMEOUT).split(" ")[2];
            Capturer.capture(p.pid, image, false);
            return sum;
        }
    }

    private static String sumOf(Restored r) {
        r.stdio.writeLine("sum");
        return r.stdout().awaitPrefix("sum ", TIMEOUT).substring(4);
    }

    @Test
    void replacedByRenameRunningInstancesKeepTheOldAndNewRestoresGetTheNew() throws IOException {
        Path image = dir.resolve("fn.img");
        String first = capture("2", image);
        try (Restored running = Restored.restore(image)) {
            assertThat(sumOf(running)).isEqualTo(first);
            String second = capture("5", image);             // written next to it, renamed over it
            assertThat(second).isNotEqualTo(first);
            assertThat(sumOf(running)).as("the running instance").isEqualTo(first);
            try (Restored fresh = Restored.restore(image)) {
                assertThat(sumOf(fresh)).as("a new restore").isEqualTo(second);
            }
        }
    }

    @Test
    void overwrittenInPlaceOrTruncatedNoNewRestoreRunsOnIt() throws IOException {
        Path image = dir.resolve("fn.img");
        String sum = capture("2", image);
        long dataOffset = ImageReader.read(image).header().dataOffset();
        try (Restored running = Restored.restore(image)) {
            assertThat(sumOf(running)).isEqualTo(sum);

            try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
                f.seek(dataOffset + 4096 + 17);
                int b = f.read();
                f.seek(dataOffset + 4096 + 17);
                f.write(b ^ 0x5a);
            }
            assertThatThrownBy(() -> Restored.restore(image)).as("overwritten in place")
                    .isInstanceOf(ImageFormatException.class).hasMessageContaining("checksum");

            try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
                f.setLength(f.length() / 2);
            }
            assertThatThrownBy(() -> Restored.restore(image)).as("truncated")
                    .isInstanceOf(ImageFormatException.class).hasMessageContaining("truncated");
        }
    }
}
