package dev.spice.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where a deployment's code comes from: a directory of this machine ({@code spice deploy}), a zip
 * package (the Lambda API's CreateFunction and UpdateFunctionCode), or the code of the deployment
 * being replaced (a change of configuration only). Each is written into the new deployment's own
 * code directory.
 */
public final class FunctionCode {
    /** What was written: the package's size and SHA-256 (base64), as Lambda reports CodeSize and CodeSha256. */
    record Written(long bytes, String sha256) {}

    @FunctionalInterface
    private interface Writer {
        Written write(Path codeDir) throws IOException;
    }

    private final Writer writer;

    private FunctionCode(Writer writer) {
        this.writer = writer;
    }

    /** A copy of {@code dir}; its size is the files' bytes, its hash that of their paths and contents. */
    public static FunctionCode directory(Path dir) {
        Path from = dir.toAbsolutePath();
        return new FunctionCode(to -> new Written(CodeCopy.copy(from, to), treeSha256(to)));
    }

    /** The zip package, unpacked with {@link ZipPackage}'s limits; its size and hash are the zip's. */
    public static FunctionCode zip(byte[] zip) {
        return new FunctionCode(to -> {
            ZipPackage.extract(zip, to, ZipPackage.MAX_BYTES, ZipPackage.MAX_ENTRIES);
            return new Written(zip.length, sha256(zip));
        });
    }

    /** The code of an existing deployment, with the size and hash it was deployed with. */
    static FunctionCode of(Deployment d) {
        return new FunctionCode(to -> {
            CodeCopy.copy(d.codeDir(), to);
            return new Written(d.info().codeBytes(), d.info().codeSha256());
        });
    }

    /**
     * Writes the code, then makes all of it readable (and directories and executables usable) by
     * everyone: instances run as an unprivileged user of their own (docs/sandbox.md), and nobody
     * else can reach this directory (the state directory is the engine's alone).
     */
    Written writeTo(Path codeDir) {
        try {
            Written w = writer.write(codeDir);
            try (Stream<Path> walk = Files.walk(codeDir)) {
                for (Path p : walk.filter(p -> !Files.isSymbolicLink(p)).toList()) {
                    Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(p));
                    perms.addAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.GROUP_READ,
                            PosixFilePermission.OTHERS_READ));
                    if (Files.isDirectory(p) || perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
                        perms.addAll(EnumSet.of(PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE));
                    }
                    Files.setPosixFilePermissions(p, perms);
                }
            }
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the code into " + codeDir, e);
        }
    }

    static String sha256(byte[] bytes) {
        return Base64.getEncoder().encodeToString(digest().digest(bytes));
    }

    /** SHA-256 over every regular file's relative path and contents, in path order (links by their target). */
    private static String treeSha256(Path root) throws IOException {
        MessageDigest md = digest();
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        byte[] buffer = new byte[64 * 1024];
        for (Path p : paths) {
            md.update(root.relativize(p).toString().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            if (Files.isSymbolicLink(p)) {
                md.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
                continue;
            }
            try (InputStream in = Files.newInputStream(p)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    md.update(buffer, 0, n);
                }
            }
        }
        return Base64.getEncoder().encodeToString(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
