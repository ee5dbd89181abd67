package dev.spice.image;

import static dev.spice.image.TestImages.HEAP;
import static dev.spice.image.TestImages.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.ProcessRecord;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetadataCodecTest {
    private static final List<PageRun> RUNS = List.of(new PageRun(HEAP, 2, 3 * PAGE),
            new PageRun(HEAP + 4 * PAGE, 1, 5 * PAGE));

    private static ImageContents decode(byte[] metadata, int sections) {
        return MetadataCodec.decode(ByteBuffer.wrap(metadata).order(ByteOrder.LITTLE_ENDIAN), sections);
    }

    @Test
    void decodeOfEncodeKeepsEveryField() {
        ImageContents original = TestImages.contents(1234, RUNS);
        MetadataCodec.Encoded encoded = MetadataCodec.encode(original);

        TestImages.assertSameContents(decode(encoded.bytes(), encoded.sections()), original);
    }

    @Test
    void sectionsArePaddedAndCounted() {
        MetadataCodec.Encoded encoded = MetadataCodec.encode(TestImages.contents(1234, RUNS));

        // 11 section types, THREAD twice; one XSAVE area is 20 bytes, so padding is needed.
        assertThat(encoded.sections()).isEqualTo(12);
        assertThat(encoded.bytes().length % 8).isZero();
        ByteBuffer first = ByteBuffer.wrap(encoded.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(first.getInt(0)).isEqualTo(ImageFormat.SEC_PROCESS);
        assertThat(first.getInt(4)).isEqualTo(ImageFormat.PROCESS_SIZE);
        assertThat(first.getLong(8)).isEqualTo(ImageFormat.PROCESS_SIZE);
    }

    @Test
    void commIsCutTo15Bytes() {
        ImageContents c = TestImages.contents(1234, RUNS);
        ProcessRecord p = c.process();
        ProcessRecord longName = new ProcessRecord(p.pid(), p.ppid(), p.pgid(), p.sid(), p.uid(), p.gid(),
                p.umask(), p.personality(), "a-very-long-thread-name", p.cwd(), p.exeFile(), p.mm(),
                p.sigreturnGadget(), p.timerslackNs(), p.dumpable(), p.pdeathSignal(), p.noNewPrivs(),
                p.childSubreaper(), p.thpDisable(), p.threadCount(), p.itimers());
        MetadataCodec.Encoded encoded = MetadataCodec.encode(withProcess(c, longName));

        assertThat(decode(encoded.bytes(), encoded.sections()).process().comm()).isEqualTo("a-very-long-thr");
    }

    @Test
    void unknownSectionsAreSkipped() {
        MetadataCodec.Encoded encoded = MetadataCodec.encode(TestImages.contents(1234, RUNS));
        ByteBuffer extended = ByteBuffer.allocate(encoded.bytes().length + 24).order(ByteOrder.LITTLE_ENDIAN);
        extended.put(encoded.bytes()).putInt(99).putInt(0).putLong(5).put(new byte[] {1, 2, 3, 4, 5, 0, 0, 0});

        ImageContents decoded = decode(extended.array(), encoded.sections() + 1);

        assertThat(decoded.runs()).containsExactlyElementsOf(RUNS);
    }

    @Test
    void missingSectionIsNamed() {
        MetadataCodec.Encoded encoded = MetadataCodec.encode(TestImages.contents(1234, RUNS));

        // The string table is the last section.
        assertThatThrownBy(() -> decode(encoded.bytes(), encoded.sections() - 1))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("strings");
    }

    @Test
    void sectionCountBeyondTheMetadataIsRejected() {
        MetadataCodec.Encoded encoded = MetadataCodec.encode(TestImages.contents(1234, RUNS));

        assertThatThrownBy(() -> decode(encoded.bytes(), encoded.sections() + 1))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("ends inside section");
    }

    @Test
    void wrongNumberOfSignalActionsIsRejected() {
        ImageContents c = TestImages.contents(1234, RUNS);
        ImageContents short63 = new ImageContents(c.process(), c.threads(), c.vmas(), c.runs(), c.files(), c.fds(),
                c.auxv(), c.sigactions().subList(0, 63), c.rlimits(), c.groups());
        MetadataCodec.Encoded encoded = MetadataCodec.encode(short63);

        assertThatThrownBy(() -> decode(encoded.bytes(), encoded.sections()))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("wrong size");
    }

    @Test
    void imageWithoutThreadIsRejected() {
        ImageContents c = TestImages.contents(1234, RUNS);
        ImageContents noThread = new ImageContents(c.process(), List.of(), c.vmas(), c.runs(), c.files(), c.fds(),
                c.auxv(), c.sigactions(), c.rlimits(), c.groups());
        MetadataCodec.Encoded encoded = MetadataCodec.encode(noThread);

        assertThatThrownBy(() -> decode(encoded.bytes(), encoded.sections()))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("no thread");
    }

    static ImageContents withProcess(ImageContents c, ProcessRecord p) {
        return new ImageContents(p, c.threads(), c.vmas(), c.runs(), c.files(), c.fds(), c.auxv(), c.sigactions(),
                c.rlimits(), c.groups());
    }
}
