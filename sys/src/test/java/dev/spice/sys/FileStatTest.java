package dev.spice.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStatTest {
    @Test
    void ownExecutableIsARegularFile() throws IOException {
        FileStat exe = FileStat.of("/proc/self/exe");
        Path real = Path.of("/proc/self/exe").toRealPath();

        assertThat(exe.isRegular()).isTrue();
        assertThat(exe.sameFile(FileStat.of(real.toString()))).isTrue();
        assertThat(exe.sameContent(exe)).isTrue();
        assertThat(exe.inode()).isEqualTo(Files.getAttribute(real, "unix:ino"));
        assertThat(exe.size()).isEqualTo(Files.size(real));
    }

    @Test
    void linkItselfIsNotFollowed() {
        FileStat link = FileStat.ofLink("/proc/self/exe");

        assertThat(link.type()).isEqualTo(FileStat.S_IFLNK);
        assertThat(link.sameFile(FileStat.of("/proc/self/exe"))).isFalse();
    }

    @Test
    void sizeAndModificationTime(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("data"), "twelve bytes");
        Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(1_700_000_000L, 123_456_789)));

        FileStat stat = FileStat.of(file.toString());

        assertThat(stat.size()).isEqualTo(12);
        assertThat(stat.mtimeSec()).isEqualTo(1_700_000_000L);
        assertThat(stat.mtimeNsec()).isEqualTo(123_456_789);
        assertThat(stat.isRegular()).isTrue();
        assertThat(stat.mode()).isEqualTo((int) Files.getAttribute(file, "unix:mode"));
    }

    @Test
    void directoriesAndDevices() {
        assertThat(FileStat.of("/").isDirectory()).isTrue();
        FileStat devNull = FileStat.of("/dev/null");
        assertThat(devNull.isCharDevice()).isTrue();
        assertThat(devNull.rdevMajor()).isEqualTo(1);
        assertThat(devNull.rdevMinor()).isEqualTo(3);
    }

    @Test
    void missingFileGivesENOENT() {
        assertThatThrownBy(() -> FileStat.of("/no/such/file")).isInstanceOf(ErrnoException.class)
                .hasMessageContaining("/no/such/file")
                .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(Errno.ENOENT));
    }
}
