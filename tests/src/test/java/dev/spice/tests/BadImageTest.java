package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.capture.Capturer;
import dev.spice.cli.Main;
import dev.spice.image.ImageFormatException;
import dev.spice.restore.RestoreFailedException;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.Launcher;
import dev.spice.restore.RestorerBinary;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken images give a clear one-line error and start nothing. */
class BadImageTest {
    @TempDir
    static Path dir;
    static Path good;

    @BeforeAll
    static void captureAGoodImage() {
        good = dir.resolve("good.img");
        try (TestProcess p = Obstacle.start("plain")) {
            Capturer.capture(p.pid, good, false);
        }
    }

    private static Path copy(String name) throws IOException {
        return Files.copy(good, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void corruptedMetadataIsDetected() throws IOException {
        Path bad = copy("corrupt.img");
        try (RandomAccessFile f = new RandomAccessFile(bad.toFile(), "rw")) {
            f.seek(4096 + 100);
            int b = f.read();
            f.seek(4096 + 100);
            f.write(b ^ 0x40);
        }
        expectRefused(bad, "metadata checksum mismatch");
    }

    @Test
    void truncatedImageIsDetected() throws IOException {
        Path bad = copy("truncated.img");
        try (RandomAccessFile f = new RandomAccessFile(bad.toFile(), "rw")) {
            f.setLength(f.length() - 4096);
        }
        expectRefused(bad, "is truncated");
    }

    @Test
    void wrongVersionIsDetected() throws IOException {
        Path bad = copy("version.img");
        try (RandomAccessFile f = new RandomAccessFile(bad.toFile(), "rw")) {
            byte[] header = new byte[128];
            f.readFully(header);
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(8, 4);
            CRC32C crc = new CRC32C();
            crc.update(header, 0, 124);
            h.putInt(124, (int) crc.getValue());
            f.seek(0);
            f.write(header);
        }
        expectRefused(bad, "has format version 4; this build reads versions 1 to 3");
    }

    @Test
    void notAnImageIsDetected() throws IOException {
        Path bad = dir.resolve("text.img");
        Files.writeString(bad, "this is not an image, just some text that is long enough to have a header...\n".repeat(4));
        expectRefused(bad, "is not a Spice image");
    }

    @Test
    void missingImageIsReported() {
        expectRefused(dir.resolve("absent.img"), "does not exist");
    }

    @Test
    void changedBackingFileIsRefused() throws IOException {
        Path exe = dir.resolve("obstacle-copy");
        Files.copy(Path.of(TestPrograms.c("obstacle")), exe);
        Path image = dir.resolve("changed.img");
        try (TestProcess p = TestProcess.start(java.util.List.of(exe.toString(), "plain"), TestPrograms.environment())) {
            p.stdout().awaitPrefix("ready", Obstacle.TIMEOUT);
            Capturer.capture(p.pid, image, false);
        }
        Files.setLastModifiedTime(exe, java.nio.file.attribute.FileTime.fromMillis(0));
        assertThatThrownBy(() -> Launcher.restore(image, LaunchOptions.detached(Map.of())))
                .isInstanceOf(RestoreFailedException.class).hasMessageContaining("changed since the snapshot");
    }

    private static void expectRefused(Path image, String message) {
        long before = restorerProcesses();
        assertThatThrownBy(() -> Launcher.restore(image, LaunchOptions.detached(Map.of())))
                .isInstanceOfAny(ImageFormatException.class, RestoreFailedException.class)
                .hasMessageContaining(message);
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"restore", "--image", image.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(err, true));
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).startsWith("spice: ").contains(message).hasLineCount(1);
        assertThat(restorerProcesses()).as("no restorer process left behind").isEqualTo(before);
    }

    /** Processes running the restorer binary (launcher, init or a half-restored process). */
    private static long restorerProcesses() {
        String restorer = RestorerBinary.path().toString();
        try (var procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(p -> {
                        try {
                            return Files.readSymbolicLink(p.resolve("exe")).toString().equals(restorer);
                        } catch (IOException | UnsupportedOperationException e) {
                            return false;
                        }
                    }).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
