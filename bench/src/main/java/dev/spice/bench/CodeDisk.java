package dev.spice.bench;

import dev.spice.engine.RuntimeSpec;
import dev.spice.sys.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A function's code disk for the VM baseline: an ext4 image, mounted read-only at /spice in the
 * guest, with the deployed code directory as /spice/code, the files the runtime command names
 * (the engine's Python shim, unchanged) under /spice/bin, and /spice/launch, a shell script that
 * sets the function's environment and execs the runtime command with those paths. The guest's
 * init (scripts/vm-setup.sh) runs it with the virtio-serial port as fd 0.
 */
final class CodeDisk {
    static final String MOUNT = "/spice", CODE = MOUNT + "/code", BIN = MOUNT + "/bin", LAUNCH = "launch";

    private CodeDisk() {}

    /** The launcher for {@code spec}; {@code staged} receives the host files it names, by their guest path. */
    static String launcher(RuntimeSpec spec, Map<Path, String> staged) {
        String code = spec.codeDir().toString();
        StringBuilder s = new StringBuilder("# The function's runtime in the guest (written by the bench).\n");
        spec.env().forEach((k, v) -> s.append("export ").append(k).append('=').append(quote(v.replace(code, CODE)))
                .append('\n'));
        List<String> argv = new ArrayList<>();
        for (int i = 0; i < spec.argv().size(); i++) {
            String a = spec.argv().get(i);
            Path p = Path.of(a);
            if (a.equals(code)) {
                argv.add(CODE);
            } else if (i > 0 && p.isAbsolute() && Files.isRegularFile(p)) {
                String inGuest = BIN + "/" + p.getFileName();   // the interpreter (argv[0]) is the guest's own
                staged.put(p, inGuest);
                argv.add(inGuest);
            } else {
                argv.add(a);
            }
        }
        s.append("exec");
        argv.forEach(a -> s.append(' ').append(quote(a)));
        return s.append('\n').toString();
    }

    /** Single quotes for sh: nothing inside is special but the quote itself. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Writes {@code dir}/code.ext4 for {@code spec} (staged in {@code dir}/code-disk, removed after). */
    static Path build(RuntimeSpec spec, Path dir) {
        Path stage = dir.resolve("code-disk"), image = dir.resolve("code.ext4");
        try {
            FileTrees.delete(stage);
            Map<Path, String> staged = new LinkedHashMap<>();
            String launch = launcher(spec, staged);
            copyTree(spec.codeDir(), stage.resolve("code"));
            Files.createDirectories(stage.resolve("bin"));
            for (var e : staged.entrySet()) {
                Files.copy(e.getKey(), stage.resolve(e.getValue().substring(MOUNT.length() + 1)));
            }
            Files.writeString(stage.resolve(LAUNCH), launch, StandardCharsets.UTF_8);
            long bytes;
            try (Stream<Path> all = Files.walk(stage)) {
                bytes = all.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length() + 4096).sum();
            }
            long mib = bytes * 3 / 2 / (1 << 20) + 16;
            Process p = new ProcessBuilder("/usr/sbin/mkfs.ext4", "-q", "-F", "-L", "spice-code", "-d", stage.toString(),
                    image.toString(), mib + "M").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("mkfs.ext4 of the code disk failed: " + out);
            }
            FileTrees.delete(stage);
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the code disk in " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
