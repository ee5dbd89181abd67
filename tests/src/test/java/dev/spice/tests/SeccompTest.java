package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.capture.CaptureRefusedException;
import dev.spice.capture.Capturer;
import dev.spice.cli.Main;
import dev.spice.image.ImageContents;
import dev.spice.image.ImageFormat;
import dev.spice.image.ImageReader;
import dev.spice.restore.RestoreFailedException;
import dev.spice.sys.proc.ProcFiles;
import dev.spice.sys.proc.ProcStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seccomp filters are process state: captured (oldest first, with their flags), stored, and
 * installed again by the restorer, so a restored process answers every filtered call as before.
 * Filters that capture's injected calls or the restorer's last calls would run into are refused
 * with one line, as is strict mode. The C program is tests/src/test/c/filtered.c.
 */
class SeccompTest {
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final String BOTH_DENIED = "getppid 77 getpgrp 78";

    @TempDir
    Path dir;

    static TestProcess start(String mode) {
        TestProcess p = TestProcess.start(List.of(TestPrograms.c("filtered"), mode), TestPrograms.environment());
        p.stdout().awaitPrefix("ready ", TIMEOUT);
        return p;
    }

    static String ask(Stdio stdio) {
        stdio.writeLine("check");
        return stdio.stdout.awaitPrefix("getppid ", TIMEOUT);
    }

    @Test
    void stackedFiltersAreRestoredInTheirOrderWithTheirFlags() {
        Path image = dir.resolve("stacked.img");
        try (TestProcess p = start("stacked")) {
            assertThat(ask(p.stdio)).isEqualTo(BOTH_DENIED);
            Capturer.capture(p.pid, image, false);
        }
        ImageContents c = ImageReader.read(image).contents();
        assertThat(c.seccomp()).as("oldest first: the getppid filter, installed with FLAG_LOG").hasSize(2);
        assertThat(c.seccomp().get(0).flags()).isEqualTo(ImageFormat.SECCOMP_FLAG_LOG);
        assertThat(c.seccomp().get(1).flags()).isZero();
        StringWriter inspected = new StringWriter();
        Main.run(new String[] {"inspect", "--image", image.toString()}, new PrintWriter(inspected, true),
                new PrintWriter(new StringWriter(), true));
        assertThat(inspected.toString()).contains("seccomp   filter 1 of 2 (oldest first): 4 instructions, logged\n")
                .contains("seccomp   filter 2 of 2 (oldest first): 4 instructions\n");

        try (Restored restored = Restored.restore(image)) {
            assertThat(ask(restored.stdio)).isEqualTo(BOTH_DENIED);
            ProcStatus status = ProcStatus.read(restored.process.pid());
            assertThat(status.number("Seccomp")).isEqualTo(2);
            assertThat(status.number("Seccomp_filters")).isEqualTo(2);
            assertThat(ask(restored.stdio)).isEqualTo(BOTH_DENIED);
        }
    }

    @Test
    void filterThatDeniesTheRestorersLastCallsIsRefusedBeforeAnythingStarts() {
        Path image = dir.resolve("tail.img");
        try (TestProcess p = start("tail")) {
            Capturer.capture(p.pid, image, false);
        }
        String childrenBefore = children();
        assertThatThrownBy(() -> Restored.restore(image)).isInstanceOf(RestoreFailedException.class)
                .hasMessageContaining("answers mremap with ERRNO 1").hasMessageNotContaining("\n");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new String[] {"restore", "--image", image.toString()}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertThat(code).isNotZero();
        assertThat(err.toString()).startsWith("spice: ").contains("mremap").hasLineCount(1);
        assertThat(children()).as("no restorer or restored process was started").isEqualTo(childrenBefore);
    }

    @Test
    void filterThatDeniesAnInjectedCallIsRefusedAndTheProcessKeepsRunning() {
        try (TestProcess p = start("sigaction")) {
            assertThatThrownBy(() -> Capturer.capture(p.pid, dir.resolve("x.img"), false))
                    .isInstanceOf(CaptureRefusedException.class)
                    .hasMessageContaining("answers system call 13 with ERRNO 1");
            assertThat(ask(p.stdio)).isEqualTo("getppid 0 getpgrp 0");
        }
        assertThat(dir.resolve("x.img")).doesNotExist();
    }

    @Test
    void strictModeIsRefused() {
        try (TestProcess p = start("strict")) {
            awaitStrict(p.pid);
            assertThatThrownBy(() -> Capturer.capture(p.pid, dir.resolve("x.img"), false))
                    .isInstanceOf(CaptureRefusedException.class).hasMessageContaining("strict seccomp mode");
            assertThat(p.alive()).isTrue();
        }
        assertThat(dir.resolve("x.img")).doesNotExist();
    }

    @Test
    void versionOneImagesStillRestore() throws IOException {
        Path image = dir.resolve("v1.img");
        try (TestProcess p = Obstacle.start("plain")) {
            Capturer.capture(p.pid, image, false);
        }
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            byte[] header = new byte[ImageFormat.HEADER_SIZE];
            f.readFully(header);
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1);
            CRC32C crc = new CRC32C();
            crc.update(header, 0, ImageFormat.HEADER_CRC_OFFSET);
            h.putInt(ImageFormat.HEADER_CRC_OFFSET, (int) crc.getValue());
            f.seek(0);
            f.write(header);
        }
        assertThat(ImageReader.read(image).header().version()).isEqualTo(1);
        try (Restored restored = Restored.restore(image)) {
            restored.stdout().awaitPrefix("tick ", TIMEOUT);
            assertThat(ProcStatus.read(restored.process.pid()).number("Seccomp")).isZero();
        }
    }

    /** The program enters strict mode just after it said "ready". */
    private static void awaitStrict(int pid) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (ProcStatus.read(pid).number("Seccomp") != 1) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("process " + pid + " did not enter strict mode");
            }
            Thread.onSpinWait();
        }
    }

    private static String children() {
        int self = (int) ProcessHandle.current().pid();
        StringBuilder all = new StringBuilder();
        for (String task : ProcFiles.path(self, "task").toFile().list()) {
            all.append(ProcFiles.read(self, "task/" + task + "/children"));
        }
        return all.toString().strip();
    }
}
