package dev.spice.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.image.Records.PageRun;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer checks what it wrote before it moves it into place; page data is checked once per file version. */
class WrittenImageCheckTest {
    @TempDir
    Path dir;

    private Path writeValid(int runs) {
        Path target = TestImages.imagePath(dir);
        try (ImageWriter writer = ImageWriter.create(target, ImageWriter.estimateMetadata(7, runs, 3, 4))) {
            writer.commit(TestImages.contents(1234, TestImages.appendHeapRuns(writer, runs)));
        }
        return target;
    }

    private List<String> entries() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static String stamp(Path image) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(image, UserDefinedFileAttributeView.class);
        if (!view.list().contains(VerifiedData.ATTRIBUTE)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(view.size(VerifiedData.ATTRIBUTE));
        view.read(VerifiedData.ATTRIBUTE, b);
        return new String(b.array(), StandardCharsets.US_ASCII);
    }

    @Test
    void anImageItsReaderWouldRejectIsNeverWritten() throws IOException {
        Path target = writeValid(3);
        byte[] before = Files.readAllBytes(target);
        try (ImageWriter writer = ImageWriter.create(target, 64 * 1024)) {
            List<PageRun> runs = new ArrayList<>(TestImages.appendHeapRuns(writer, 4));
            runs.add(0, runs.remove(2));                        // out of address order
            ImageContents contents = TestImages.contents(1234, runs);
            assertThatThrownBy(() -> writer.commit(contents)).isInstanceOf(ImageFormatException.class)
                    .hasMessageContaining("fails its own validation").hasMessageContaining("out of order")
                    .hasMessageNotContaining("\n");
        }
        assertThat(Files.readAllBytes(target)).as("the previous image").isEqualTo(before);
        assertThat(entries()).as("no temporary file left").containsExactly(target.getFileName().toString());
    }

    @Test
    void theWriterStampsWhatItCheckedAndAChangeVoidsTheStamp() throws IOException {
        Path target = writeValid(5);
        Image image = ImageReader.read(target);
        assertThat(stamp(target)).as("stamped by the writer").isNotNull()
                .endsWith(Integer.toHexString(image.header().dataCrc()));
        assertThatCode(() -> VerifiedData.ensure(image)).doesNotThrowAnyException();

        long at = image.header().dataOffset() + 2 * ImageFormat.PAGE_SIZE + 5;
        FileTime mtime = Files.getLastModifiedTime(target);
        try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(~b);
        }
        assertThat(Files.getLastModifiedTime(target)).isNotEqualTo(mtime);
        Image changed = ImageReader.read(target);               // the page data is not read here
        assertThatThrownBy(() -> VerifiedData.ensure(changed)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("page data checksum mismatch");
        assertThatThrownBy(() -> VerifiedData.ensure(changed)).as("and again: a failed check stamps nothing")
                .isInstanceOf(ImageFormatException.class);
    }

    @Test
    void anUnstampedImageIsCheckedOnceThenStamped() throws IOException {
        Path target = writeValid(2);
        Files.getFileAttributeView(target, UserDefinedFileAttributeView.class).delete(VerifiedData.ATTRIBUTE);
        Image image = ImageReader.read(target);

        VerifiedData.ensure(image);

        assertThat(stamp(target)).isNotNull();
    }

    private Path writeWithWorkingSet(List<Records.WsRange> ranges) {
        Path target = TestImages.imagePath(dir);
        try (ImageWriter writer = ImageWriter.create(target, 0)) {
            List<PageRun> runs = TestImages.appendHeapRuns(writer, 3);
            ImageContents c = TestImages.contents(4321, runs);
            writer.commit(c.withMemory(c.vmas(), c.runs(),
                    new Records.WorkingSet(ranges, runs.get(0).dataOffset(), 3 * TestImages.PAGE)));
        }
        return target;
    }

    @Test
    void workingSetsAreWrittenRangesFirstThenReadOnesEachSorted() {
        long heap = TestImages.HEAP, page = TestImages.PAGE;
        // As the engine records them: written (the stack above the heap) first, then reads from the
        // bottom again, one joined read range spanning a written page.
        Path image = writeWithWorkingSet(List.of(new Records.WsRange(heap + 4 * page, 1, ImageFormat.WS_WRITTEN),
                new Records.WsRange(TestImages.STACK, 1, ImageFormat.WS_WRITTEN),
                new Records.WsRange(heap, 6, 0), new Records.WsRange(heap + 8 * page, 1, 0)));
        assertThat(ImageReader.read(image).contents().workingSet().ranges()).hasSize(4);

        assertThatThrownBy(() -> writeWithWorkingSet(List.of(new Records.WsRange(heap, 1, 0),
                new Records.WsRange(heap + 4 * page, 1, ImageFormat.WS_WRITTEN))))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("written working set range after");
        assertThatThrownBy(() -> writeWithWorkingSet(List.of(new Records.WsRange(heap + 4 * page, 1, 0),
                new Records.WsRange(heap, 1, 0)))).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("unsorted working set range");
    }
}
