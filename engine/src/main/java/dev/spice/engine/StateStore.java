package dev.spice.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.spice.sys.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The engine's state directory:
 *
 * <pre>
 * STATE/functions/NAME/current            -> versions/VERSION (symbolic link, swapped atomically)
 * STATE/functions/NAME/versions/VERSION/  code/, snapshot.img, deployment.json
 * STATE/functions/NAME/published/N        -> ../versions/VERSION (a published version, 1, 2...)
 * STATE/runtimes/                         the runtime shims, by content hash
 * </pre>
 *
 * A deployment is complete before the link names it, so a reader sees either the old version or
 * the new one; versions that neither the current link nor a published one names are removed
 * after the swap.
 */
final class StateStore {
    private static final String CURRENT = "current";
    private static final String VERSIONS = "versions";
    private static final String PUBLISHED = "published";
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final Path root;

    StateStore(Path root) {
        this.root = root;
        try {
            Files.createDirectories(root.resolve("functions"));
            // Snapshots hold the functions' memory (their secrets too): the engine's alone.
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the state directory " + root, e);
        }
    }

    Path root() {
        return root;
    }

    Path runtimes() {
        return root.resolve("runtimes");
    }

    private Path functionDir(String name) {
        return root.resolve("functions").resolve(name);
    }

    /** A new, empty version directory for {@code name}. */
    Path newVersion(String name) {
        String version = Instant.now().toString().replace(":", "").replace(".", "") + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        try {
            return Files.createDirectories(functionDir(name).resolve(VERSIONS).resolve(version));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a version directory for " + name, e);
        }
    }

    /** Writes the deployment's metadata into its version directory. */
    void writeMetadata(Deployment d) {
        Path file = d.versionDir().resolve(Deployment.METADATA);
        try {
            Path temp = Files.createTempFile(d.versionDir(), ".deployment", ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(temp.toFile(), new Stored(d.info(), d.manifest()));
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Makes {@code versionDir} the current version of its function and removes the others. */
    void activate(String name, Path versionDir) {
        Path dir = functionDir(name);
        Path link = dir.resolve(CURRENT);
        try {
            Path temp = dir.resolve(".current-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            Files.createSymbolicLink(temp, dir.relativize(versionDir));
            Files.move(temp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            List<Path> kept = published(name).stream().map(p -> p.versionDir().getFileName()).toList();
            try (Stream<Path> versions = Files.list(dir.resolve(VERSIONS))) {
                for (Path v : versions.toList()) {
                    if (!v.getFileName().equals(versionDir.getFileName()) && !kept.contains(v.getFileName())) {
                        FileTrees.delete(v);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot activate " + versionDir, e);
        }
    }

    /** A version published under a number: the deployment it names for good. */
    record Published(int number, Path versionDir) {}

    /** The next number for {@code name}, now naming {@code versionDir} (its current version). */
    int publish(String name, Path versionDir) {
        Path dir = functionDir(name).resolve(PUBLISHED);
        int number = published(name).stream().mapToInt(Published::number).max().orElse(0) + 1;
        try {
            Files.createDirectories(dir);
            Path temp = dir.resolve("." + number + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            Files.createSymbolicLink(temp, dir.relativize(versionDir));
            Files.move(temp, dir.resolve(Integer.toString(number)), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + versionDir, e);
        }
        return number;
    }

    /** The published versions of {@code name}, by number. */
    List<Published> published(String name) {
        Path dir = functionDir(name).resolve(PUBLISHED);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> links = Files.list(dir)) {
            return links.filter(p -> p.getFileName().toString().matches("[1-9][0-9]*"))
                    .map(p -> new Published(Integer.parseInt(p.getFileName().toString()),
                            dir.resolve(readLink(p)).normalize()))
                    .sorted(Comparator.comparingInt(Published::number)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the published versions of " + name, e);
        }
    }

    /** The deployment a published version names. */
    Deployment load(Published p) {
        try {
            return read(p.versionDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read version " + p.number() + " at " + p.versionDir(), e);
        }
    }

    private static Path readLink(Path link) {
        try {
            return Files.readSymbolicLink(link);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every function with a current version, as deployed. */
    List<Deployment> load() {
        List<Deployment> result = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root.resolve("functions"))) {
            for (Path dir : dirs.sorted().toList()) {
                Path current = dir.resolve(CURRENT);
                if (Files.isDirectory(current)) {
                    result.add(read(current.toRealPath()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the state directory " + root, e);
        }
        return result;
    }

    private Deployment read(Path versionDir) throws IOException {
        Stored s = JSON.readValue(versionDir.resolve(Deployment.METADATA).toFile(), Stored.class);
        Path snapshot = s.info().snapshot() != null ? versionDir.resolve(Deployment.SNAPSHOT) : null;
        return new Deployment(s.info(), s.manifest(), versionDir, versionDir.resolve(Deployment.CODE), snapshot);
    }

    /** Removes a function; false if there was none. */
    boolean remove(String name) {
        Path dir = functionDir(name);
        if (!Files.exists(dir)) {
            return false;
        }
        try {
            Path trash = root.resolve("functions").resolve("." + name + ".deleted-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
            FileTrees.delete(trash);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove function " + name, e);
        }
        return true;
    }

    /**
     * Removes a version that never became current (a failed deployment), and its function's
     * directory if no version of it is current: a function that never deployed leaves nothing.
     */
    void discard(Path versionDir) {
        try {
            FileTrees.delete(versionDir);
            Path function = versionDir.getParent().getParent();
            if (!Files.exists(function.resolve(CURRENT), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                FileTrees.delete(function);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + versionDir, e);
        }
    }


    /** What deployment.json holds. */
    record Stored(FunctionInfo info, FunctionManifest manifest) {}
}
