package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.capture.Capturer;
import dev.spice.image.ImageReader;
import dev.spice.image.Records.FileRecord;
import dev.spice.restore.PinnedFiles;
import dev.spice.restore.RestoreFailedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores handed the engine's pinned descriptors of the mapped files (PinnedFiles), by a
 * launcher (inherited) and by a zygote (sent over its command socket): they take the
 * descriptors instead of the paths, still refuse a file replaced or changed since the snapshot
 * by name, and work after the page cache, dentries and inodes were dropped.
 */
class PinnedFilesTest {
    @TempDir
    Path dir;

    /** A captured layout: its image, its memory's checksum, and its own mapped files that are pinned. */
    private record Captured(Path image, String sum, List<Path> own) {}

    /**
     * Captures memlayout's fixed layout of issue 9 (seed 0: a private file mapping of its own with
     * a changed page; the generated seeds take tens of seconds each on a loaded machine) into a
     * directory of its own.
     */
    private Captured capture(String name) throws IOException {
        Path files = Files.createDirectories(dir.resolve(name));
        Path image = dir.resolve(name + ".img");
        MemLayout.Started program = MemLayout.start(files, 0, 0);
        try (TestProcess p = program.process()) {
            Capturer.capture(p.pid, image, false);
        }
        List<Path> own = new ArrayList<>();
        for (FileRecord f : ImageReader.read(image).contents().files()) {
            if (f.path().startsWith(files.toString())) {
                own.add(Path.of(f.path()));
            }
        }
        assertThat(own).as("files of its own").isNotEmpty();
        return new Captured(image, program.sum(), own);
    }

    private static final List<BiFunction<Path, PinnedFiles, Restored>> BOTH_WAYS =
            List.of(Restored::restore, Restored::restoreInZygote);

    private static void expectSum(Restored r, String sum) {
        try (r) {
            assertThat(MemLayout.sum(r.stdio)).isEqualTo(sum);
        }
    }

    @Test
    void theDescriptorsAreTakenInsteadOfThePaths() throws IOException {
        Captured c = capture("first");
        try (PinnedFiles pinned = PinnedFiles.of(c.image())) {
            assertThat(pinned.count()).as("pinned files").isGreaterThanOrEqualTo(c.own().size());
            expectSum(Restored.restore(c.image(), null), c.sum());     // validated with every path in place
            // Renamed away: the path is gone, the file (same inode, same content) is still the captured one.
            for (Path f : c.own()) {
                Files.move(f, f.resolveSibling(f.getFileName() + ".moved"));
            }
            for (var restore : BOTH_WAYS) {
                try (Restored r = restore.apply(c.image(), pinned)) {
                    assertThat(MemLayout.sum(r.stdio)).isEqualTo(c.sum());
                    try (var open = Files.list(Path.of("/proc/" + r.process.pid() + "/fd"))) {
                        assertThat(open.map(fd -> fd.getFileName().toString())).as("no pinned descriptor left open")
                                .containsExactlyInAnyOrder("0", "1", "2");
                    }
                }
                assertThatThrownBy(() -> restore.apply(c.image(), null)).as("without the pins")
                        .isInstanceOf(RestoreFailedException.class).hasMessageContaining(c.own().getFirst().toString())
                        .hasMessageContaining("ENOENT");
            }
        }
    }

    @Test
    void aPinnedFileReplacedOrChangedSinceIsRefusedByName() throws IOException {
        Captured c = capture("first");
        try (PinnedFiles pinned = PinnedFiles.of(c.image())) {
            expectSum(Restored.restore(c.image(), pinned), c.sum());
            Path replaced = c.own().getLast();
            Path copy = replaced.resolveSibling("copy");
            Files.copy(replaced, copy, StandardCopyOption.COPY_ATTRIBUTES);
            Files.move(copy, replaced, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            for (var restore : BOTH_WAYS) {
                assertThatThrownBy(() -> restore.apply(c.image(), pinned)).isInstanceOf(RestoreFailedException.class)
                        .hasMessage(replaced + " was replaced since the snapshot");
            }
        }
        try (PinnedFiles pinned = PinnedFiles.of(c.image())) {
            // The copy has another inode: not pinned, so the restorer opens it by path and refuses it too.
            assertThat(pinned.count()).isGreaterThan(0);
            assertThatThrownBy(() -> Restored.restoreInZygote(c.image(), pinned))
                    .hasMessage(c.own().getLast() + " was replaced since the snapshot");
        }
        Captured d = capture("second");
        try (PinnedFiles pinned = PinnedFiles.of(d.image())) {
            expectSum(Restored.restore(d.image(), pinned), d.sum());
            Path changed = d.own().getFirst();
            Files.write(changed, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);    // in place: same inode
            for (var restore : BOTH_WAYS) {
                assertThatThrownBy(() -> restore.apply(d.image(), pinned)).isInstanceOf(RestoreFailedException.class)
                        .hasMessage(changed + " changed since the snapshot (size or modification time)");
            }
        }
    }

    @Test
    void aPinnedRestoreWorksAfterTheCachesWereDropped() throws IOException, InterruptedException {
        Captured c = capture("first");
        try (PinnedFiles pinned = PinnedFiles.of(c.image())) {
            expectSum(Restored.restore(c.image(), pinned), c.sum());
            for (var restore : BOTH_WAYS) {
                dropCaches();
                expectSum(restore.apply(c.image(), pinned), c.sum());
            }
        }
    }

    /** sync; echo 3 > /proc/sys/vm/drop_caches: page cache, and the dentries and inodes no one holds. */
    private static void dropCaches() throws IOException, InterruptedException {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }
}
