package dev.spice.sys.proc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FdInfoTest {
    @Test
    void plainFile() {
        FdInfo info = FdInfo.parse("pos:\t12345\nflags:\t02100002\nmnt_id:\t25\nino:\t3\n");

        assertThat(info.pos()).isEqualTo(12345L);
        assertThat(info.flags()).isEqualTo(02100002);  // O_CLOEXEC | O_LARGEFILE | O_RDWR
        assertThat(info.mountId()).isEqualTo(25L);
        assertThat(info.hasLocks()).isFalse();
    }

    @Test
    void lockLinesAreNoticed() {
        FdInfo info = FdInfo.parse("""
                pos:	0
                flags:	0100001
                mnt_id:	31
                ino:	1048602
                lock:	1: POSIX  ADVISORY  WRITE 4242 fe:00:1048602 0 EOF
                """);

        assertThat(info.hasLocks()).isTrue();
        assertThat(info.flags()).isEqualTo(0100001);
    }

    @Test
    void largeOffsetAndUnknownLines() {
        FdInfo info = FdInfo.parse("pos:\t8589934592\nflags:\t00\nmnt_id:\t1\ninotify wd:1 ino:2 sdev:3\n");

        assertThat(info.pos()).isEqualTo(8589934592L);
        assertThat(info.flags()).isZero();
        assertThat(info.hasLocks()).isFalse();
    }

    @Test
    void ownOpenFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "0123456789");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(7);
            FdInfo info = FdInfo.read((int) ProcessHandle.current().pid(), fdOf(file.toRealPath()));

            assertThat(info.pos()).isEqualTo(7L);
            assertThat(info.flags() & 03).isEqualTo(02);  // O_RDWR
        }
    }

    /** Our descriptor open on {@code file}, found through /proc/self/fd. */
    private static int fdOf(Path file) throws IOException {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path link : fds) {
                try {
                    if (Files.readSymbolicLink(link).equals(file)) {
                        return Integer.parseInt(link.getFileName().toString());
                    }
                } catch (IOException e) {
                    // closed meanwhile (the directory stream's own descriptor)
                }
            }
        }
        throw new AssertionError("no descriptor open on " + file);
    }
}
