package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.capture.Capturer;
import dev.spice.image.ImageContents;
import dev.spice.image.ImageReader;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.VmaRecord;
import dev.spice.image.VmaKind;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lean image: a page of a private file mapping that still equals the file is not stored,
 * identical pages are stored once, and the restored process sees every page as it was.
 */
class LeanImageTest {
    static final int PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void equalPagesAreLeftOutOrStoredOnce() {
        Path data = RichState.dataFile(dir);
        Path image = dir.resolve("lean.img");
        try (TestProcess p = TestProcess.start(List.of(TestPrograms.c("lean"), data.toString()),
                TestPrograms.environment())) {
            p.stdout().awaitPrefix("ready ", RichState.TIMEOUT);
            Capturer.capture(p.pid, image, false);
        }
        ImageContents c = ImageReader.read(image).contents();

        VmaRecord mapped = c.vmas().stream().filter(v -> v.kind() == VmaKind.FILE
                && c.files().get(v.file()).path().equals(data.toString())).findFirst().orElseThrow();
        assertThat(c.runsOf(mapped)).as("only the page that differs from the file")
                .extracting(PageRun::start, PageRun::pages).containsExactly(org.assertj.core.groups.Tuple.tuple(
                        mapped.start() + 3L * PAGE, 1L));

        Map<Long, Integer> uses = new HashMap<>();
        for (PageRun r : c.runs()) {
            for (long i = 0; i < r.pages(); i++) {
                uses.merge(r.dataOffset() + i * PAGE, 1, Integer::sum);
            }
        }
        assertThat(uses.values()).as("64 equal pages share one stored page").contains(64);

        try (Restored restored = Restored.restore(image)) {
            restored.stdio.writeLine("check");
            assertThat(restored.stdout().awaitPrefix("", RichState.TIMEOUT)).isEqualTo("ok");
            restored.stdio.writeLine("again");
            assertThat(restored.stdout().awaitPrefix("", RichState.TIMEOUT)).isEqualTo("ok");
        }
    }
}
