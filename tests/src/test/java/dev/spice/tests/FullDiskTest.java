package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot written to a full file system (a small tmpfs, docs/faults.md): the command fails with
 * one line naming the cause, leaves no temporary file, and the image or deployment that was there
 * before is untouched and still serves; a snapshot's original process keeps running.
 */
class FullDiskTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    Path disk;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        disk = Files.createDirectory(dir.resolve("disk"));
        run("mount", "-t", "tmpfs", "-o", "size=24m", "spice-full-disk-test", disk.toString());
    }

    @AfterEach
    void unmount() throws Exception {
        run("umount", disk.toString());
    }

    private static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", String.join(" ", argv), out).isZero();
    }

    /** The generated layout of seed; its mapped files go to a directory of its own. */
    private MemLayout.Started memlayout(long seed, long heapMib) throws IOException {
        return MemLayout.start(Files.createDirectory(dir.resolve("files-" + seed)), seed, heapMib);
    }

    /** The command's stderr: log lines may come first, the error is the last line, and no stack trace. */
    private static String errorLine(TestProcess spice) {
        List<String> err = spice.stdio.stderr.rest(TIMEOUT);
        assertThat(err).as("stderr").isNotEmpty().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception"));
        System.out.println("FullDiskTest: " + err.getLast());
        return err.getLast();
    }

    private List<String> diskEntries(Path where) throws IOException {
        try (Stream<Path> files = Files.walk(where)) {
            return files.map(p -> where.relativize(p).toString()).filter(n -> n.contains(".tmp")).toList();
        }
    }

    @Test
    void aSnapshotThatDoesNotFitLeavesThePreviousImageAndTheProcess() throws Exception {
        Path image = disk.resolve("fn.img");
        String firstSum;
        MemLayout.Started small = memlayout(0, 0);
        try (TestProcess p = small.process();
                TestProcess spice = SpiceJvm.start("snapshot", "--pid", Integer.toString(p.pid), "--image",
                        image.toString())) {
            assertThat(spice.waitFor()).as("the first snapshot fits").isZero();
            firstSum = small.sum();
        }
        byte[] before = Files.readAllBytes(image);

        MemLayout.Started big = memlayout(3, 256);                // about 76 MiB of image
        try (TestProcess p = big.process();
                TestProcess spice = SpiceJvm.start("snapshot", "--pid", Integer.toString(p.pid), "--image",
                        image.toString())) {
            assertThat(spice.waitFor()).isEqualTo(1);
            assertThat(errorLine(spice)).startsWith("spice: ").contains("No space left on device");
            assertThat(MemLayout.sum(p.stdio)).as("the original runs on").isEqualTo(big.sum());
        }
        assertThat(diskEntries(disk)).as("temporaries").isEmpty();
        assertThat(Files.readAllBytes(image)).as("the previous image").isEqualTo(before);
        try (Restored r = Restored.restore(image)) {
            assertThat(MemLayout.sum(r.stdio)).isEqualTo(firstSum);
        }
    }

    @Test
    void aDeployWhoseSnapshotDoesNotFitLeavesThePreviousVersionServing() throws Exception {
        Path state = disk.resolve("state");
        try (TestProcess deploy = SpiceJvm.start("deploy", "../functions/hello", "--local", "--state-dir",
                state.toString())) {
            assertThat(deploy.waitFor()).as("first deploy: %s", deploy.stdio.stderr.seen()).isZero();
        }
        List<Path> versions = versionsOf(state);
        // Leave room for the function's code but not for another snapshot of it.
        long free = Files.getFileStore(disk).getUsableSpace();
        Files.write(disk.resolve("filler"), new byte[(int) (free - 3 * 1024 * 1024)]);

        try (TestProcess deploy = SpiceJvm.start("deploy", "../functions/hello", "--local", "--state-dir",
                state.toString())) {
            assertThat(deploy.waitFor()).isEqualTo(1);
            assertThat(errorLine(deploy)).startsWith("spice: ").contains("No space left on device");
        }
        assertThat(versionsOf(state)).as("the failed version is discarded").isEqualTo(versions);
        assertThat(diskEntries(state)).as("temporaries").isEmpty();

        try (TestProcess invoke = SpiceJvm.start("invoke", "hello", "--payload", "{\"name\":\"disk\"}", "--cold",
                "--log", "--local", "--state-dir", state.toString())) {
            assertThat(invoke.waitFor()).as("invoke: %s", invoke.stdio.stderr.seen()).isZero();
            assertThat(invoke.stdout().rest(TIMEOUT)).anyMatch(l -> l.contains("Hello, disk!"));
            assertThat(invoke.stdio.stderr.rest(TIMEOUT)).as("served from the previous snapshot")
                    .anyMatch(l -> l.contains("spice: path restored"));
        }
    }

    private static List<Path> versionsOf(Path state) throws IOException {
        try (Stream<Path> v = Files.list(state.resolve("functions/hello/versions"))) {
            return v.sorted().toList();
        }
    }
}
