package dev.spice.image;

import static dev.spice.image.TestImages.HEAP;
import static dev.spice.image.TestImages.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.image.Records.PageRun;
import dev.spice.image.Records.ProcessRecord;
import dev.spice.image.Records.SeccompFilter;
import dev.spice.image.Records.ThreadRecord;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetadataCodecTest {
    private static final List<PageRun> RUNS = List.of(new PageRun(HEAP, 2, 3 * PAGE),
            new PageRun(HEAP + 4 * PAGE, 1, 5 * PAGE));

    private static ImageContents decode(byte[] metadata, int sections) {
        return decode(metadata, sections, ImageFormat.VERSION);
    }

    private static ImageContents decode(byte[] metadata, int sections, int version) {
        return MetadataCodec.decode(ByteBuffer.wrap(metadata).order(ByteOrder.LITTLE_ENDIAN), sections, version);
    }

    /** Two filters, oldest first: "allow everything" (logged) and "getppid fails with errno 77". */
    private static final List<SeccompFilter> FILTERS = List.of(
            new SeccompFilter(ImageFormat.SECCOMP_FLAG_LOG, program(0x06, 0x7fff0000)),
            new SeccompFilter(0, program(0x20, 0, 0x15, 110, 0x06, 0x7fff0000, 0x06, 0x0005004d)));

    /** Instructions as (code, k) pairs; a JEQ (0x15) skips the next instruction when it holds. */
    private static byte[] program(int... codeK) {
        ByteBuffer b = ByteBuffer.allocate(codeK.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < codeK.length; i += 2) {
            int jt = codeK[i] == 0x15 ? 1 : 0;
            b.putShort((short) codeK[i]).put((byte) jt).put((byte) 0).putInt(codeK[i + 1]);
        }
        return b.array();
    }

    private static ImageContents withFilters(ImageContents c, List<SeccompFilter> filters) {
        return new ImageContents(c.process(), c.threads(), c.vmas(), c.runs(), c.files(), c.fds(), c.auxv(),
                c.sigactions(), c.rlimits(), c.groups(), filters);
    }

    @Test
    void seccompFiltersKeepTheirOrderFlagsAndInstructions() {
        MetadataCodec.Encoded encoded = MetadataCodec.encode(withFilters(TestImages.contents(1234, RUNS), FILTERS));

        List<SeccompFilter> decoded = decode(encoded.bytes(), encoded.sections()).seccomp();

        assertThat(decoded).hasSize(2);
        assertThat(decoded.get(0).flags()).isEqualTo(ImageFormat.SECCOMP_FLAG_LOG);
        assertThat(decoded.get(0).program()).containsExactly(FILTERS.get(0).program());
        assertThat(decoded.get(1).flags()).isZero();
        assertThat(decoded.get(1).program()).containsExactly(FILTERS.get(1).program());
    }

    @Test
    void versionOneReadsAsWithoutFilters() {
        MetadataCodec.Encoded encoded = MetadataCodec.encode(withFilters(TestImages.contents(1234, RUNS), FILTERS));

        assertThat(decode(encoded.bytes(), encoded.sections(), 1).seccomp()).isEmpty();
    }

    @Test
    void seccompFilterLongerThanItsSectionIsRejected() {
        MetadataCodec.Encoded encoded = MetadataCodec.encode(TestImages.contents(1234, RUNS));
        ByteBuffer extended = ByteBuffer.allocate(encoded.bytes().length + 32).order(ByteOrder.LITTLE_ENDIAN);
        extended.put(encoded.bytes()).putInt(ImageFormat.SEC_SECCOMP).putInt(0).putLong(16)
                .putInt(0).putInt(2).putLong(0x7fff000000000006L);

        assertThatThrownBy(() -> decode(extended.array(), encoded.sections() + 1))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("has 2 instructions");
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

        // 12 section types (THREAD_NAMES among them), THREAD twice; one XSAVE area is 20 bytes, so padding is needed.
        assertThat(encoded.sections()).isEqualTo(13);
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
    void threadsWithoutNamesWriteNoNameSection() {
        ImageContents c = TestImages.contents(1234, RUNS);
        List<ThreadRecord> unnamed = c.threads().stream().map(t -> named(t, "")).toList();
        MetadataCodec.Encoded encoded = MetadataCodec.encode(new ImageContents(c.process(), unnamed, c.vmas(), c.runs(),
                c.files(), c.fds(), c.auxv(), c.sigactions(), c.rlimits(), c.groups()));

        assertThat(encoded.sections()).isEqualTo(12);
        assertThat(decode(encoded.bytes(), encoded.sections()).threads()).extracting(ThreadRecord::name)
                .containsOnly("");
    }

    @Test
    void badThreadNamesAreRejected() {
        MetadataCodec.Encoded encoded = MetadataCodec.encode(TestImages.contents(1234, RUNS));
        int names = payloadOf(encoded.bytes(), ImageFormat.SEC_THREAD_NAMES);

        byte[] unterminated = encoded.bytes().clone();
        java.util.Arrays.fill(unterminated, names + 8, names + 24, (byte) 'x');
        assertThatThrownBy(() -> decode(unterminated, encoded.sections()))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("not NUL-terminated");
        byte[] reserved = encoded.bytes().clone();
        reserved[names + 4] = 1;
        assertThatThrownBy(() -> decode(reserved, encoded.sections()))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("reserved field");
        byte[] stranger = encoded.bytes().clone();
        ByteBuffer.wrap(stranger).order(ByteOrder.LITTLE_ENDIAN).putInt(names, 4242);
        assertThatThrownBy(() -> decode(stranger, encoded.sections()))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("does not have");
    }

    /** Where the payload of the first section of {@code type} starts in encoded metadata. */
    private static int payloadOf(byte[] metadata, int type) {
        ByteBuffer b = ByteBuffer.wrap(metadata).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at < metadata.length; ) {
            int length = (int) b.getLong(at + 8);
            if (b.getInt(at) == type) {
                return at + ImageFormat.SECTION_HEADER_SIZE;
            }
            at += ImageFormat.SECTION_HEADER_SIZE + (length + 7) / 8 * 8;
        }
        throw new AssertionError("no section of type " + type);
    }

    private static ThreadRecord named(ThreadRecord t, String name) {
        return new ThreadRecord(t.tid(), t.regs(), t.sigmask(), t.altstackSp(), t.altstackSize(), t.altstackFlags(),
                t.rseqAddr(), t.rseqLen(), t.rseqSig(), t.rseqFlags(), t.robustList(), t.robustListLen(),
                t.clearChildTid(), t.restartedSyscall(), t.xstate(), name);
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
