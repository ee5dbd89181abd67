package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.capture.CaptureRefusedException;
import dev.spice.capture.Capturer;
import dev.spice.cli.Main;
import dev.spice.sys.Processes;
import dev.spice.sys.proc.ProcFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capture refuses state it cannot restore faithfully, names it, and leaves the process running. */
class RefusalTest {
    @TempDir
    Path dir;

    @Test
    void secondThreadIsRefused() {
        try (TestProcess p = Obstacle.start("thread")) {
            assertThatThrownBy(() -> Capturer.capture(p.pid, dir.resolve("x.img"), false))
                    .isInstanceOf(CaptureRefusedException.class).hasMessageContaining("2 threads");
            Obstacle.expectStillTicking(p);
        }
        assertThat(dir.resolve("x.img")).doesNotExist();
    }

    @Test
    void pipeOutsideStdioIsRefusedByName() {
        try (TestProcess p = Obstacle.start("pipe")) {
            assertThatThrownBy(() -> Capturer.capture(p.pid, dir.resolve("x.img"), false))
                    .isInstanceOf(CaptureRefusedException.class).hasMessageContaining("fd 5 (pipe:[");
            Obstacle.expectStillTicking(p);
        }
    }

    @Test
    void duplicatedKernelObjectIsRefusedByName() {
        try (TestProcess p = Obstacle.start("dupfd")) {
            assertThatThrownBy(() -> Capturer.capture(p.pid, dir.resolve("x.img"), false))
                    .isInstanceOf(CaptureRefusedException.class)
                    .hasMessageContaining("fd 6 (anon_inode:[eventfd]) is a duplicate of fd 5");
            Obstacle.expectStillTicking(p);
        }
        assertThat(dir.resolve("x.img")).doesNotExist();
    }

    @Test
    void queuedDescriptorIsRefusedAndLeftQueued() {
        try (TestProcess p = Obstacle.start("rights")) {
            assertThatThrownBy(() -> Capturer.capture(p.pid, dir.resolve("x.img"), false))
                    .isInstanceOf(CaptureRefusedException.class)
                    .hasMessageContaining("fd 6 (socket:[").hasMessageContaining("carries descriptors");
            Obstacle.expectStillTicking(p);
            // The peek left the message where it was: a second attempt meets it again.
            assertThatThrownBy(() -> Capturer.capture(p.pid, dir.resolve("x.img"), false))
                    .hasMessageContaining("carries descriptors");
        }
    }

    @Test
    void childProcessIsRefused() {
        try (TestProcess p = Obstacle.start("child")) {
            int child = Integer.parseInt(ProcFiles.read(p.pid, "task/" + p.pid + "/children").strip());
            try {
                assertThatThrownBy(() -> Capturer.capture(p.pid, dir.resolve("x.img"), false))
                        .isInstanceOf(CaptureRefusedException.class).hasMessageContaining("child processes");
                Obstacle.expectStillTicking(p);
            } finally {
                Processes.kill(child, Processes.SIGKILL);
            }
        }
    }

    @Test
    void commandLineReportsOneLineAndExitsNonZero() throws Exception {
        try (TestProcess p = Obstacle.start("thread")) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new String[] {"snapshot", "--pid", Integer.toString(p.pid), "--image",
                dir.resolve("cli.img").toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
            assertThat(code).isEqualTo(1);
            assertThat(err.toString()).startsWith("spice: ").contains("threads").hasLineCount(1);
            Obstacle.expectStillTicking(p);
        }
        assertThat(Files.list(dir)).isEmpty();
    }

    @Test
    void missingProcessIsReported() {
        assertThatThrownBy(() -> Capturer.capture(999_999, dir.resolve("x.img"), false))
                .isInstanceOf(CaptureRefusedException.class).hasMessageContaining("no process with PID 999999");
    }
}
