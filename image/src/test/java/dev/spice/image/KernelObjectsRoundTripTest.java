package dev.spice.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.image.Records.EpollTarget;
import dev.spice.image.Records.FdKind;
import dev.spice.image.Records.FdMessage;
import dev.spice.image.Records.FdObject;
import dev.spice.image.Records.FdRecord;
import dev.spice.image.Records.InotifyWatch;
import dev.spice.image.Records.KernelObjects;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Kernel objects behind descriptors (format version 3) written, read back and checked. */
class KernelObjectsRoundTripTest {
    @TempDir
    Path dir;

    /** One object of every kind, fds from 20 on, state and bytes drawn from {@code seed}. */
    private static ImageContents withObjects(long seed, UnaryOperator<KernelObjects> change,
            UnaryOperator<List<FdRecord>> changeFds) {
        Random r = new Random(seed);
        byte[] pipeBytes = new byte[1 + r.nextInt(4096)], a = new byte[1 + r.nextInt(100)], b = new byte[1 + r.nextInt(100)];
        r.nextBytes(pipeBytes);
        r.nextBytes(a);
        r.nextBytes(b);
        byte[] data = new byte[pipeBytes.length + a.length + b.length];
        System.arraycopy(pipeBytes, 0, data, 0, pipeBytes.length);
        System.arraycopy(a, 0, data, pipeBytes.length, a.length);
        System.arraycopy(b, 0, data, pipeBytes.length + a.length, b.length);
        List<FdObject> objects = List.of(
                new FdObject(FdKind.EVENTFD, ImageFormat.EVENTFD_SEMAPHORE, 0, 0, 0, r.nextLong() >>> 1, 0, 0),
                new FdObject(FdKind.EPOLL, 0, 0, 0, 2, 0, 0, 0),
                new FdObject(FdKind.PIPE, 0, 65536, 0, 1, 0, 0, 0),
                new FdObject(FdKind.UNIX_PAIR, 0x102, 2, 1, 2, 0, 0, 0),
                new FdObject(FdKind.TIMERFD, ImageFormat.TIMER_ABSTIME, 1, 0, 0, r.nextInt(1 << 30), 100_000_000, 3),
                new FdObject(FdKind.SIGNALFD, 0, 0, 0, 0, r.nextLong(), 0, 0),
                new FdObject(FdKind.INOTIFY, 0, 0, 0, 2, 0, 0, 0));
        List<EpollTarget> targets = List.of(new EpollTarget(20, 0x80000001, r.nextLong()),
                new EpollTarget(3, 0x40000004, r.nextLong()));
        List<FdMessage> messages = List.of(new FdMessage(0, 0, pipeBytes.length),
                new FdMessage(0, pipeBytes.length, a.length), new FdMessage(0, pipeBytes.length + a.length, b.length));
        List<InotifyWatch> watches = List.of(new InotifyWatch(1, 0x100, 2), new InotifyWatch(7, 0x200, 0));
        List<FdRecord> fds = new ArrayList<>(TestImages.fds());
        fds.addAll(List.of(new FdRecord(20, FdKind.EVENTFD, 04002, 0, 0), new FdRecord(21, FdKind.EPOLL, 02000002, 1, 0),
                new FdRecord(22, FdKind.PIPE, 04000, 2, 0), new FdRecord(23, FdKind.PIPE, 01, 2, 1),
                new FdRecord(24, FdKind.UNIX_PAIR, 02, 3, 0), new FdRecord(25, FdKind.UNIX_PAIR, 04002, 3, 1),
                new FdRecord(26, FdKind.TIMERFD, 02, 4, 0), new FdRecord(27, FdKind.SIGNALFD, 02, 5, 0),
                new FdRecord(28, FdKind.INOTIFY, 0, 6, 0)));
        ImageContents c = TestImages.contents(1234, List.of());
        return new ImageContents(c.process(), c.threads(), c.vmas(), c.runs(), c.files(), changeFds.apply(fds),
                change.apply(new KernelObjects(objects, targets, messages, data, watches)), c.auxv(), c.sigactions(),
                c.rlimits(), c.groups(), List.of());
    }

    private Image writeAndRead(ImageContents c) {
        Path target = TestImages.imagePath(dir);
        try (ImageWriter writer = ImageWriter.create(target, ImageWriter.estimateMetadata(7, 0, 3, 13))) {
            writer.commit(c);
        }
        return ImageReader.read(target);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 77})
    void everyKindReadsBackAsWritten(long seed) {
        ImageContents written = withObjects(seed, k -> k, f -> f);
        Image read = writeAndRead(written);
        KernelObjects k = read.contents().kernelObjects();
        assertThat(read.header().version()).isEqualTo(3);
        assertThat(read.contents().fds()).isEqualTo(written.fds());
        assertThat(k.objects()).isEqualTo(written.kernelObjects().objects());
        assertThat(k.epollTargets()).isEqualTo(written.kernelObjects().epollTargets());
        assertThat(k.messages()).isEqualTo(written.kernelObjects().messages());
        assertThat(k.watches()).isEqualTo(written.kernelObjects().watches());
        assertThat(k.data()).containsExactly(written.kernelObjects().data());
        ImageInvariants.check(read, read.path().toFile().length());
    }

    @Test
    void imageWithoutObjectsHasNoObjectSections() {
        Image read = writeAndRead(TestImages.contents(1234, List.of()));
        assertThat(read.contents().kernelObjects().isEmpty()).isTrue();
    }

    private static KernelObjects withObject(KernelObjects k, int index, FdObject o) {
        List<FdObject> objects = new ArrayList<>(k.objects());
        objects.set(index, o);
        return new KernelObjects(objects, k.epollTargets(), k.messages(), k.data(), k.watches());
    }

    @Test
    void inconsistentObjectsAreNeverWritten() {
        List<ImageContents> bad = List.of(
                // the pipe's write end is missing
                withObjects(1, k -> k, f -> f.stream().filter(d -> d.fd() != 23).toList()),
                // the epoll watches itself
                withObjects(1, k -> new KernelObjects(k.objects(), List.of(new EpollTarget(21, 1, 0),
                        new EpollTarget(20, 1, 0)), k.messages(), k.data(), k.watches()), f -> f),
                // a message past the data
                withObjects(1, k -> new KernelObjects(k.objects(), k.epollTargets(), List.of(k.messages().get(0),
                        k.messages().get(1), new FdMessage(1, k.data().length - 1, 2)), k.data(), k.watches()), f -> f),
                // inotify watches out of wd order
                withObjects(1, k -> new KernelObjects(k.objects(), k.epollTargets(), k.messages(), k.data(),
                        List.of(new InotifyWatch(7, 1, 0), new InotifyWatch(1, 1, 0))), f -> f),
                // a socket pair of an unknown type
                withObjects(1, k -> withObject(k, 3, new FdObject(FdKind.UNIX_PAIR, 0, 3, 1, 2, 0, 0, 0)), f -> f),
                // a timerfd with a negative remaining time
                withObjects(1, k -> withObject(k, 4, new FdObject(FdKind.TIMERFD, 0, 1, 0, 0, -5, 0, 0)), f -> f),
                // a pipe end whose access mode contradicts it
                withObjects(1, k -> k, f -> f.stream().map(d -> d.fd() == 22 ? new FdRecord(22, FdKind.PIPE, 01, 2, 0)
                        : d).toList()));
        for (ImageContents c : bad) {
            assertThatThrownBy(() -> writeAndRead(c)).isInstanceOf(ImageFormatException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
    }
}
