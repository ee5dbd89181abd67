package dev.spice.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The freestanding restorer, built by `make` into this module's resources. It must be a file to
 * be executed, so it is copied once to a path named by its content hash.
 */
public final class RestorerBinary {
    private static final String RESOURCE = "native/spice-restorer";
    private static volatile Path path;

    private RestorerBinary() {}

    public static Path path() {
        Path p = path;
        if (p == null) {
            synchronized (RestorerBinary.class) {
                if (path == null) {
                    path = extract();
                }
                p = path;
            }
        }
        return p;
    }

    private static Path extract() {
        try (InputStream in = RestorerBinary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the restorer binary is missing from the build (" + RESOURCE + ")");
            }
            byte[] bytes = in.readAllBytes();
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "spice-" + ProcessHandle.current().info()
                    .user().orElse("user"));
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path target = dir.resolve("spice-restorer-" + hash);
            if (!Files.exists(target)) {
                Path temp = Files.createTempFile(dir, "spice-restorer", ".tmp");
                Files.write(temp, bytes);
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwx------"));
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the restorer binary", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
