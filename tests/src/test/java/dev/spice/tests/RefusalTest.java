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

    /** Refused after every thread was stopped: both are released, and the process goes on. */
    @Test
    void signalPendingOnASecondThreadIsRefused() throws Exception {
        try (TestProcess p = Obstacle.start("signal")) {
            int second;
            try (var tasks = Files.list(ProcFiles.path(p.pid, "task"))) {
                second = tasks.map(t -> Integer.parseInt(t.getFileName().toString())).filter(t -> t != p.pid)
                        .findFirst().orElseThrow();
            }
            assertThatThrownBy(() -> Capturer.capture(p.pid, dir.resolve("x.img"), false))
                    .isInstanceOf(CaptureRefusedException.class)
                    .hasMessageContaining("pending signals (thread " + second + " 0x800,");
            Obstacle.expectStillTicking(p);
            for (int tid : new int[] {p.pid, second}) {
                assertThat(ProcFiles.read(p.pid, "task/" + tid + "/status")).as("thread %d is not traced", tid)
                        .contains("TracerPid:\t0\n");
            }
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
        try (TestProcess p = Obstacle.start("signal")) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new String[] {"snapshot", "--pid", Integer.toString(p.pid), "--image",
                dir.resolve("cli.img").toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
            assertThat(code).isEqualTo(1);
            assertThat(err.toString()).startsWith("spice: ").contains("pending signals").hasLineCount(1);
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
