package dev.spice.engine;

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
 * Installs a runtime shim from the engine's classpath into the state directory, in a folder
 * named by its content hash: an instance restored later finds the very file it was booted from,
 * even after the engine was upgraded.
 */
final class ShimFiles {
    private ShimFiles() {}

    /** {@code DIR/PREFIX-HASH/NAME} for the classpath resource {@code resource} (relative to this package). */
    static Path install(String resource, Path dir, String prefix) {
        try (InputStream in = ShimFiles.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the runtime shim " + resource + " is missing from the build");
            }
            byte[] bytes = in.readAllBytes();
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
            Path target = dir.resolve(prefix + "-" + hash).resolve(Path.of(resource).getFileName());
            if (!Files.exists(target)) {
                Files.createDirectories(target.getParent());
                Path temp = Files.createTempFile(target.getParent(), ".shim", ".tmp");
                Files.write(temp, bytes);
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--")); // read by sandboxed instances
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the runtime shim in " + dir, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
