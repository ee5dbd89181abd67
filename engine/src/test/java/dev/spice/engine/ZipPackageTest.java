package dev.spice.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unpacking zip packages: what is kept, and every unsafe package refused with nothing left behind. */
class ZipPackageTest {
    @TempDir
    Path temp;

    /** One entry of a test zip: its name, contents and Unix mode (0: made on a system without modes). */
    record Entry(String name, byte[] data, int mode) {
        static Entry file(String name, String text) {
            return new Entry(name, text.getBytes(StandardCharsets.UTF_8), 0100644);
        }

        static Entry link(String name, String target) {
            return new Entry(name, target.getBytes(StandardCharsets.UTF_8), 0120777);
        }
    }

    /** A zip of the entries, with their Unix modes set in the central directory as Info-ZIP does. */
    static byte[] zip(Entry... entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Entry e : entries) {
                out.putNextEntry(new ZipEntry(e.name()));
                out.write(e.data());
                out.closeEntry();
            }
        }
        byte[] zip = bytes.toByteArray();
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int at = b.getInt(zip.length - 22 + 16);
        for (Entry e : entries) {
            if (e.mode() != 0) {
                b.putShort(at + 4, (short) (3 << 8 | 20));
                b.putInt(at + 38, e.mode() << 16);
            }
            at += 46 + Short.toUnsignedInt(b.getShort(at + 28)) + Short.toUnsignedInt(b.getShort(at + 30))
                    + Short.toUnsignedInt(b.getShort(at + 32));
        }
        return zip;
    }

    private Path versionDir() throws IOException {
        return Files.createDirectories(temp.resolve("functions/f/versions/v1"));
    }

    private static List<Path> everything(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return new ArrayList<>(s.toList());
        }
    }

    @Test
    void filesDirectoriesLinksAndExecuteBitsAreKept() throws IOException {
        Path code = versionDir().resolve("code");
        ZipPackage.extract(zip(Entry.file("app.py", "def handler(e, c): return 1\n"),
                new Entry("lib/", new byte[0], 040755), Entry.file("lib/util.py", "X = 1\n"),
                new Entry("bin/run", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0100755),
                Entry.link("lib/current", "util.py"), Entry.link("bin/lib", "../lib")), code,
                ZipPackage.MAX_BYTES, ZipPackage.MAX_ENTRIES);

        assertThat(code.resolve("app.py")).hasContent("def handler(e, c): return 1");
        assertThat(code.resolve("lib/util.py")).hasContent("X = 1");
        assertThat(Files.isExecutable(code.resolve("bin/run"))).isTrue();
        assertThat(Files.isExecutable(code.resolve("app.py"))).isFalse();
        assertThat(Files.readSymbolicLink(code.resolve("lib/current"))).isEqualTo(Path.of("util.py"));
        assertThat(Files.readSymbolicLink(code.resolve("bin/lib"))).isEqualTo(Path.of("../lib"));
        assertThat(code.resolveSibling(".package.zip")).doesNotExist();
    }

    @Test
    void aZipWithoutUnixModesUnpacksAsPlainFiles() throws IOException {
        Path code = versionDir().resolve("code");
        ZipPackage.extract(zip(new Entry("app.py", "x = 1\n".getBytes(StandardCharsets.UTF_8), 0)), code,
                ZipPackage.MAX_BYTES, ZipPackage.MAX_ENTRIES);

        assertThat(code.resolve("app.py")).hasContent("x = 1");
    }

    @Test
    void anAbsoluteNameIsRefused() throws IOException {
        assertRefused(zip(Entry.file("app.py", "x"), Entry.file("/tmp/issue-13-evil", "x")),
                "the entry name '/tmp/issue-13-evil' is absolute");
        assertThat(Path.of("/tmp/issue-13-evil")).doesNotExist();
    }

    @Test
    void dotDotIsRefused() throws IOException {
        assertRefused(zip(Entry.file("app.py", "x"), Entry.file("lib/../../escaped.py", "x")),
                "the entry name 'lib/../../escaped.py' contains '..'");
    }

    @Test
    void aLinkOutOfTheTreeIsRefused() throws IOException {
        assertRefused(zip(Entry.file("app.py", "x"), Entry.link("lib/out", "../../..")),
                "the symbolic link lib/out points to '../../..', outside the function");
        assertRefused(zip(Entry.link("etc", "/etc")), "the symbolic link etc points to '/etc', outside the function");
    }

    @Test
    void aLinkThroughAnotherLinkIsRefused() throws IOException {
        // here -> "." is harmless alone, but here/.. is the parent of the code directory
        assertRefused(zip(Entry.link("here", "."), Entry.link("up", "here/..")),
                "points through another symbolic link");
    }

    @Test
    void anEntryUnderALinkIsRefused() throws IOException {
        assertRefused(zip(Entry.link("lib", "."), Entry.file("lib/app.py", "x")),
                "the entry lib/app.py lies under the symbolic link lib");
    }

    @Test
    void aZipBombIsRefusedWhileItInflates() throws IOException {
        byte[] zeros = new byte[2 << 20];
        byte[] bomb = zip(Entry.file("app.py", "x"), new Entry("zeros.bin", zeros, 0100644));
        assertThat(bomb.length).isLessThan(1 << 20 >> 4);
        Path version = versionDir();
        assertThatThrownBy(() -> ZipPackage.extract(bomb, version.resolve("code"), 1 << 20, ZipPackage.MAX_ENTRIES))
                .isInstanceOf(DeployException.class)
                .hasMessage("the code package is refused: it unpacks to more than the limit of 1048576 bytes");
        assertThat(everything(version)).containsExactly(version);
    }

    @Test
    void tooManyEntriesAreRefusedBeforeAnythingIsWritten() throws IOException {
        Entry[] many = new Entry[11];
        for (int i = 0; i < many.length; i++) {
            many[i] = Entry.file("f" + i + ".py", "x");
        }
        byte[] zip = zip(many);
        Path version = versionDir();
        assertThatThrownBy(() -> ZipPackage.extract(zip, version.resolve("code"), ZipPackage.MAX_BYTES, 10))
                .isInstanceOf(DeployException.class)
                .hasMessage("the code package is refused: it has 11 entries, more than the limit of 10");
        assertThat(everything(version)).containsExactly(version);
    }

    @Test
    void somethingThatIsNotAZipIsRefused() throws IOException {
        assertRefused("not a zip at all".getBytes(StandardCharsets.UTF_8), "it is not a valid zip file");
    }

    @Test
    void aDuplicateEntryIsRefused() throws IOException {
        // ZipOutputStream refuses to write a duplicate, so the second name is renamed in the bytes
        byte[] zip = zip(Entry.file("app.py", "x"), Entry.link("app.pz", "other.py"));
        String text = new String(zip, StandardCharsets.ISO_8859_1).replace("app.pz", "app.py");
        assertRefused(text.getBytes(StandardCharsets.ISO_8859_1), "appears twice");
    }

    /** The package is refused with the message and nothing is left anywhere under the state directory. */
    private void assertRefused(byte[] zip, String message) throws IOException {
        Path version = versionDir();
        List<Path> before = everything(temp);
        assertThatThrownBy(() -> ZipPackage.extract(zip, version.resolve("code"), ZipPackage.MAX_BYTES,
                ZipPackage.MAX_ENTRIES)).isInstanceOf(DeployException.class).hasMessageContaining(message);
        assertThat(everything(temp)).containsExactlyInAnyOrderElementsOf(before);
        assertThat(Files.exists(version.resolve("code"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }
}
