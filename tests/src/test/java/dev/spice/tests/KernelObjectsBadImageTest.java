package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spice.capture.Capturer;
import dev.spice.image.ImageFormatException;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.Launcher;
import dev.spice.restore.RestoreFailedException;
import dev.spice.restore.RestorerBinary;
import dev.spice.sys.Fds;
import dev.spice.sys.Processes;
import dev.spice.sys.Spawner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Images whose kernel-object records are corrupt (with checksums recomputed, so the records
 * themselves are judged) are refused in one line by the Java reader before anything starts,
 * and by the restorer itself when it is handed such an image directly.
 */
class KernelObjectsBadImageTest {
    private static final int SEC_FDS = 6, SEC_FD_OBJECTS = 15, SEC_EPOLL_TARGETS = 16, SEC_FD_MESSAGES = 17;
    private static final int EVENTFD = 3, EPOLL = 4, TIMERFD = 5, PIPE = 7;

    @TempDir
    static Path dir;
    static byte[] good;

    @BeforeAll
    static void captureAGoodImage() throws IOException {
        Path image = dir.resolve("good.img");
        try (TestProcess p = KernelObjectsTest.start(1, dir)) {
            Capturer.capture(p.pid, image, false);
        }
        good = Files.readAllBytes(image);
    }

    /** A corruption: the section it changes, what it does to the payload, what each side says. */
    record Corruption(String name, int section, Consumer<ByteBuffer> change, String javaSays, String restorerSays) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> corruptions() {
        return Stream.of(
                new Corruption("fd names a missing object", SEC_FDS, b -> b.putInt(entry(b, 24, 4, EVENTFD) + 12, 0x7fff),
                        "naming a missing kernel object", "naming a missing kernel object"),
                new Corruption("message outside the data", SEC_FD_MESSAGES, b -> b.putLong(16, 1L << 40),
                        "outside its data", "outside what its kind allows"),
                new Corruption("epoll watches an absent fd", SEC_EPOLL_TARGETS, b -> b.putInt(0, 9999),
                        "watching fd 9999", "outside what its kind allows"),
                new Corruption("timerfd on an unknown clock", SEC_FD_OBJECTS, b -> b.putInt(entry(b, 48, 0, TIMERFD) + 8, 3),
                        "field outside what its kind allows", "outside what its kind allows"),
                new Corruption("pipe capacity not a power of two", SEC_FD_OBJECTS,
                        b -> b.putInt(entry(b, 48, 0, PIPE) + 8, 5000),
                        "field outside what its kind allows", "outside what its kind allows"),
                new Corruption("eventfd counter at its maximum", SEC_FD_OBJECTS,
                        b -> b.putLong(entry(b, 48, 0, EVENTFD) + 24, -1L),
                        "field outside what its kind allows", "outside what its kind allows"),
                new Corruption("epoll entries overlap the next", SEC_FD_OBJECTS,
                        b -> b.putInt(entry(b, 48, 0, EPOLL) + 16, b.getInt(entry(b, 48, 0, EPOLL) + 16) + 1),
                        "not the next ones of their table", "not the next ones of their table"),
                new Corruption("reserved field set", SEC_FD_OBJECTS, b -> b.putInt(20, 1),
                        "reserved field", "without its descriptors"),
                new Corruption("version 2 image with kernel objects", -1, b -> b.putInt(8, 2),
                        "which version 2 does not have", "invalid file descriptor entry"))
                .map(Arguments::of);
    }

    /** The payload offset of the first entry (of {@code size} bytes) whose u32 at {@code at} is {@code kind}. */
    private static int entry(ByteBuffer payload, int size, int at, int kind) {
        for (int off = 0; off + size <= payload.limit(); off += size) {
            if (payload.getInt(off + at) == kind) {
                return off;
            }
        }
        throw new AssertionError("the image has no entry of kind " + kind);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptions")
    void isRefusedInOneLineByBothSides(Corruption c) throws IOException {
        Path bad = dir.resolve(c.name().replace(' ', '-') + ".img");
        Files.write(bad, corrupt(c));
        assertThatThrownBy(() -> Launcher.restore(bad, LaunchOptions.detached(Map.of())))
                .isInstanceOfAny(ImageFormatException.class, RestoreFailedException.class)
                .hasMessageContaining(c.javaSays())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(restorerVerdict(bad)).startsWith("error image ").contains(c.restorerSays());
    }

    @org.junit.jupiter.api.Test
    void pipeBeyondThisMachinesLimitIsRefusedBeforeLaunch() throws IOException {
        Corruption big = new Corruption("pipe of 2 MiB", SEC_FD_OBJECTS, b -> b.putInt(entry(b, 48, 0, PIPE) + 8, 1 << 21),
                "fs.pipe-max-size", "");
        Path bad = dir.resolve("big-pipe.img");
        Files.write(bad, corrupt(big));
        // The format allows it; this machine does not (no CAP_SYS_RESOURCE, pipe-max-size 1 MiB by default).
        org.junit.jupiter.api.Assumptions.assumeTrue((dev.spice.sys.proc.ProcStatus.read((int) ProcessHandle.current().pid())
                .hex("CapEff") & (1L << 24)) == 0, "needs a machine without CAP_SYS_RESOURCE");
        assertThatThrownBy(() -> Launcher.restore(bad, LaunchOptions.detached(Map.of())))
                .isInstanceOf(RestoreFailedException.class).hasMessageContaining(big.javaSays());
    }

    /** The good image with one change and its checksums recomputed. */
    private static byte[] corrupt(Corruption c) {
        byte[] img = good.clone();
        ByteBuffer file = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        if (c.section() < 0) {
            c.change().accept(file);                                // a header field
        } else {
            int sections = file.getInt(48);
            int at = 4096;
            for (int i = 0; i < sections; i++) {
                int type = file.getInt(at);
                int length = (int) file.getLong(at + 8);
                if (type == c.section()) {
                    c.change().accept(file.slice(at + 16, length).order(ByteOrder.LITTLE_ENDIAN));
                }
                at += 16 + ((length + 7) & ~7);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(img, 4096, (int) file.getLong(24));
        file.putInt(52, (int) crc.getValue());
        crc.reset();
        crc.update(img, 0, 124);
        file.putInt(124, (int) crc.getValue());
        return img;
    }

    /** The restorer's own report on an image, bypassing the Java checks: its one status line. */
    private static String restorerVerdict(Path image) {
        int[] status = Fds.pipe();
        int pid;
        try {
            pid = Spawner.spawn(List.of(RestorerBinary.path().toString(), "--status=3", "--detach", "restore",
                    image.toString()), Map.of(), Map.of(3, status[1]), false);
        } finally {
            Fds.close(status[1]);
        }
        try {
            String line = Fds.readLine(status[0], System.nanoTime() + 30_000_000_000L);
            assertThat(Processes.exitCode(Processes.waitFor(pid))).as("the launcher's exit status").isNotZero();
            return line;
        } finally {
            Fds.close(status[0]);
        }
    }
}
