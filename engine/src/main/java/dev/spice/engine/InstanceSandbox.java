package dev.spice.engine;

import dev.spice.restore.Sandbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What every instance of a function may see, booted or restored alike (docs/sandbox.md): the
 * system's programs and libraries, of /etc only what runtimes read (no shadow, no keys), the
 * runtime shims, and the function's own code, all read-only; a private /tmp; loopback only,
 * unless its manifest says {@code network: host}. It runs as {@link #HOST_ID} on the host.
 */
final class InstanceSandbox {
    /** The host uid and gid of every instance: one id for the engine, owned by no account. */
    static final int HOST_ID = 100000;
    static final long TMP_BYTES = 64L << 20;
    private static final List<String> SYSTEM = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
    /** Of /etc: the dynamic linker's cache, time zone, name resolution, certificates, the runtimes' own settings. */
    private static final List<String> ETC = List.of("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime",
            "timezone", "nsswitch.conf", "hosts", "host.conf", "resolv.conf", "gai.conf", "protocols", "services",
            "ssl", "ca-certificates", "ca-certificates.conf", "alternatives", "mime.types", "os-release",
            "debian_version");
    private static final List<String> ETC_PREFIXES = List.of("python3", "java-");

    private final Sandbox base;

    private InstanceSandbox(Sandbox base) {
        this.base = base;
    }

    /** The sandbox of an engine whose state is under {@code stateRoot}; {@code shims}, the folder of every runtime shim, is bound too. */
    static InstanceSandbox create(Path stateRoot, Path shims) {
        Path root = stateRoot.toAbsolutePath().resolve("sandbox-root");   // a relative state directory too
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + root, e);
        }
        List<Path> binds = new ArrayList<>();
        for (String p : SYSTEM) {
            Path path = Path.of(p);
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                binds.add(path);
            }
        }
        binds.addAll(etc());
        binds.add(shims);
        return new InstanceSandbox(new Sandbox(root, HOST_ID, TMP_BYTES, false, binds));
    }

    private static List<Path> etc() {
        try (Stream<Path> entries = Files.list(Path.of("/etc"))) {
            return entries.filter(p -> {
                String name = p.getFileName().toString();
                return ETC.contains(name) || ETC_PREFIXES.stream().anyMatch(name::startsWith);
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /etc", e);
        }
    }

    /** The part every function shares, which a zygote prepares ahead. */
    Sandbox shared() {
        return base;
    }

    /** What a deployment's instances see beyond {@link #shared}: its code. */
    static List<Path> own(Deployment d) {
        return List.of(d.codeDir());
    }

    /** The whole sandbox of a deployment's instance. */
    Sandbox of(Deployment d) {
        return base.with(own(d)).withHostNetwork(d.manifest().hostNetwork());
    }
}
