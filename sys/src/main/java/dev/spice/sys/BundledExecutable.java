package dev.spice.sys;

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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Programs that the build puts into a module's resources (the restorer, benchmark workloads).
 * To be executed they must be files, so each is copied once to a private directory under a name
 * that includes its content hash: a rebuilt program never runs as a stale copy.
 */
public final class BundledExecutable {
    private static final Map<String, Path> INSTALLED = new ConcurrentHashMap<>();

    private BundledExecutable() {}

    /** The file of resource {@code name} (relative to {@code owner}'s package). */
    public static Path path(Class<?> owner, String name) {
        return INSTALLED.computeIfAbsent(owner.getName() + "/" + name, k -> install(owner, name));
    }

    private static Path install(Class<?> owner, String name) {
        try (InputStream in = owner.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("program " + name + " is missing from the build of "
                        + owner.getPackageName());
            }
            byte[] bytes = in.readAllBytes();
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
            Path dir = Path.of(System.getProperty("java.io.tmpdir"),
                    "spice-" + ProcessHandle.current().info().user().orElse("user"));
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            String base = Path.of(name).getFileName().toString();
            Path target = dir.resolve(base + "-" + hash);
            if (!Files.exists(target)) {
                Path temp = Files.createTempFile(dir, base, ".tmp");
                Files.write(temp, bytes);
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwx------"));
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install " + name, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
