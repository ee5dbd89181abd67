package dev.spice.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.image.Records.Itimer;
import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.ProcessRecord;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageRoundTripTest {
    @TempDir
    Path dir;

    /** Writes an image of {@code runs} heap runs, reserving {@code estimate} bytes for metadata. */
    private ImageContents writeImage(Path target, int pid, int runs, long estimate) {
        try (ImageWriter writer = ImageWriter.create(target, estimate)) {
            ImageContents contents = TestImages.contents(pid, TestImages.appendHeapRuns(writer, runs));
            writer.commit(contents);
            return contents;
        }
    }

    private ImageContents writeImage(int runs) {
        return writeImage(TestImages.imagePath(dir), 1234, runs, ImageWriter.estimateMetadata(7, runs, 3, 4));
    }

    private static byte[] readAt(Path file, long offset, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
                // keep reading
            }
            return b.array();
        }
    }

    private static void patch(Path file, long offset, byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes);
        }
    }

    private static void flipByte(Path file, long offset) throws IOException {
        patch(file, offset, new byte[] {(byte) ~readAt(file, offset, 1)[0]});
    }

    private static void assertRunsHoldTheirPages(Path file, List<PageRun> runs) throws IOException {
        for (int r = 0; r < runs.size(); r++) {
            PageRun run = runs.get(r);
            assertThat(readAt(file, run.dataOffset(), (int) run.bytes())).as("run %d", r)
                    .containsExactly(TestImages.expectedRun(r));
        }
    }

    private List<String> dirEntries() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void readBackKeepsEveryField() throws IOException {
        ImageContents written = writeImage(5);

        Image image = ImageReader.read(TestImages.imagePath(dir));

        TestImages.assertSameContents(image.contents(), written);
        assertThat(image.header().version()).isEqualTo(ImageFormat.VERSION);
        assertThat(image.header().sectionCount()).isEqualTo(13);
        assertThat(image.header().dataSize()).isEqualTo(written.storedPages() * ImageFormat.PAGE_SIZE);
        assertThat(image.header().dataOffset()).isEqualTo(written.runs().getFirst().dataOffset());
        assertThat(image.header().dataOffset() % ImageFormat.PAGE_SIZE).isZero();
        assertRunsHoldTheirPages(image.path(), image.contents().runs());
    }

    @Test
    void imageWithoutPagesIsValid() {
        ImageContents written = writeImage(0);

        Image image = ImageReader.read(TestImages.imagePath(dir));

        TestImages.assertSameContents(image.contents(), written);
        assertThat(image.header().dataSize()).isZero();
        assertThatCode(() -> ImageReader.verifyData(image)).doesNotThrowAnyException();
    }

    @Test
    void dataChecksumCatchesOneFlippedByte() throws IOException {
        writeImage(5);
        Image image = ImageReader.read(TestImages.imagePath(dir));
        ImageReader.verifyData(image);

        flipByte(image.path(), image.header().dataOffset() + 3 * ImageFormat.PAGE_SIZE + 17);

        Image flipped = ImageReader.read(image.path());  // the page data is not read here
        assertThatThrownBy(() -> ImageReader.verifyData(flipped)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("page data checksum mismatch").hasMessageContaining(image.path().toString());
    }

    @Test
    void metadataOutgrowingItsReserveMovesTheData() throws IOException {
        // 300 runs of 1-3 pages: about 600 pages (more than one 1 MiB move chunk) and 7 KiB of runs.
        ImageContents written = writeImage(TestImages.imagePath(dir), 1234, 300, 0);

        Image image = ImageReader.read(TestImages.imagePath(dir));

        assertThat(image.header().dataOffset())
                .isGreaterThanOrEqualTo(ImageFormat.METADATA_OFFSET + image.header().metadataSize())
                .isGreaterThan(written.runs().getFirst().dataOffset());
        assertThat(image.contents().runs()).hasSize(300);
        assertThat(image.contents().runs().getFirst().dataOffset()).isEqualTo(image.header().dataOffset());
        assertRunsHoldTheirPages(image.path(), image.contents().runs());
        ImageReader.verifyData(image);
    }

    @Test
    void corruptHeaderIsRejected() throws IOException {
        writeImage(2);
        Path path = TestImages.imagePath(dir);
        flipByte(path, 64);  // created_unix_ms

        assertThatThrownBy(() -> ImageReader.read(path)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("header checksum mismatch").hasMessageContaining(path.toString());
    }

    @Test
    void corruptMetadataIsRejected() throws IOException {
        writeImage(2);
        Path path = TestImages.imagePath(dir);
        flipByte(path, ImageFormat.METADATA_OFFSET + ImageFormat.SECTION_HEADER_SIZE);  // the process's pid

        assertThatThrownBy(() -> ImageReader.read(path)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("metadata checksum mismatch").hasMessageContaining(path.toString());
    }

    @Test
    void truncatedDataIsRejected() throws IOException {
        writeImage(2);
        Path path = TestImages.imagePath(dir);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - ImageFormat.PAGE_SIZE);
        }

        assertThatThrownBy(() -> ImageReader.read(path)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("truncated").hasMessageContaining(path.toString());
    }

    @Test
    void fileShorterThanAHeaderIsRejected() throws IOException {
        writeImage(2);
        Path path = TestImages.imagePath(dir);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.truncate(100);
        }

        assertThatThrownBy(() -> ImageReader.read(path)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("truncated (100 bytes)");
    }

    @Test
    void wrongMagicIsRejected() throws IOException {
        writeImage(2);
        Path path = TestImages.imagePath(dir);
        patch(path, 0, "NOTSPICE".getBytes());

        assertThatThrownBy(() -> ImageReader.read(path)).isInstanceOf(ImageFormatException.class)
                .hasMessage(path + " is not a Spice image");
    }

    @Test
    void otherVersionIsRejectedByName() throws IOException {
        writeImage(2);
        Path path = TestImages.imagePath(dir);
        patch(path, 8, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(4).array());

        assertThatThrownBy(() -> ImageReader.read(path)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("format version 4").hasMessageContaining("reads versions 1 to 3");
    }

    @Test
    void missingFileIsRejected() {
        Path path = dir.resolve("absent.spice");

        assertThatThrownBy(() -> ImageReader.read(path)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void closeWithoutCommitLeavesNoFile() throws IOException {
        try (ImageWriter writer = ImageWriter.create(TestImages.imagePath(dir), 0)) {
            TestImages.appendHeapRuns(writer, 3);
            assertThat(dirEntries()).hasSize(1);  // the temporary file
        }

        assertThat(dirEntries()).isEmpty();
    }

    @Test
    void failedCommitLeavesNoFile() throws IOException {
        try (ImageWriter writer = ImageWriter.create(TestImages.imagePath(dir), 0)) {
            ImageContents c = TestImages.contents(1234, TestImages.appendHeapRuns(writer, 3));
            ProcessRecord p = c.process();
            ProcessRecord fourTimers = new ProcessRecord(p.pid(), p.ppid(), p.pgid(), p.sid(), p.uid(), p.gid(),
                    p.umask(), p.personality(), p.comm(), p.cwd(), p.exeFile(), p.mm(), p.sigreturnGadget(),
                    p.timerslackNs(), p.dumpable(), p.pdeathSignal(), p.noNewPrivs(), p.childSubreaper(),
                    p.thpDisable(), p.threadCount(), List.of(Itimer.NONE, Itimer.NONE, Itimer.NONE, Itimer.NONE));

            assertThatThrownBy(() -> writer.commit(MetadataCodecTest.withProcess(c, fourTimers)))
                    .isInstanceOf(RuntimeException.class);
        }

        assertThat(dirEntries()).isEmpty();
    }

    @Test
    void commitReplacesAnExistingImage() throws IOException {
        Path target = TestImages.imagePath(dir);
        writeImage(target, 111, 2, 64 * 1024);
        ImageContents second = writeImage(target, 222, 4, 64 * 1024);

        TestImages.assertSameContents(ImageReader.read(target).contents(), second);
        assertThat(dirEntries()).containsExactly(target.getFileName().toString());
    }

    @Test
    void uncommittedWriterLeavesAnExistingImageIntact() throws IOException {
        Path target = TestImages.imagePath(dir);
        writeImage(target, 111, 2, 64 * 1024);
        byte[] before = Files.readAllBytes(target);

        try (ImageWriter writer = ImageWriter.create(target, 0)) {
            TestImages.appendHeapRuns(writer, 4);
        }

        assertThat(Files.readAllBytes(target)).isEqualTo(before);
        assertThat(ImageReader.read(target).contents().process().pid()).isEqualTo(111);
        assertThat(dirEntries()).containsExactly(target.getFileName().toString());
    }
}
