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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image file changed while instances restored from it run (docs/faults.md). Replaced by a
 * rename, as every spice writer does: running instances keep the old file, new restores get the
 * new one. Overwritten in place or truncated: no new restore runs on it (checksum, length).
 */
class ImageChangedUnderInstancesTest {
    @TempDir
    Path dir;

    /** Captures a generated layout into {@code image}; returns the checksum of its memory. */
    private String capture(long seed, Path image) throws IOException {
        MemLayout.Started program = MemLayout.start(Files.createDirectories(dir.resolve("files-" + seed)), seed, 64);
        try (TestProcess p = program.process()) {
            Capturer.capture(p.pid, image, false);
            return program.sum();
        }
    }

    @Test
    void replacedByRenameRunningInstancesKeepTheOldAndNewRestoresGetTheNew() throws IOException {
        Path image = dir.resolve("fn.img");
        String first = capture(2, image);
        try (Restored running = Restored.restore(image)) {
            assertThat(MemLayout.sum(running.stdio)).isEqualTo(first);
            String second = capture(5, image);             // written next to it, renamed over it
            assertThat(second).isNotEqualTo(first);
            assertThat(MemLayout.sum(running.stdio)).as("the running instance").isEqualTo(first);
            try (Restored fresh = Restored.restore(image)) {
                assertThat(MemLayout.sum(fresh.stdio)).as("a new restore").isEqualTo(second);
            }
        }
    }

    @Test
    void overwrittenInPlaceOrTruncatedNoNewRestoreRunsOnIt() throws IOException {
        Path image = dir.resolve("fn.img");
        String sum = capture(2, image);
        long dataOffset = ImageReader.read(image).header().dataOffset();
        try (Restored running = Restored.restore(image)) {
            assertThat(MemLayout.sum(running.stdio)).isEqualTo(sum);

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
