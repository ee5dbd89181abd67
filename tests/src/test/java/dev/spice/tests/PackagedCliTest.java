package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as bin/spice runs it (docs/startup.md): the packaged jar with its libraries,
 * picocli's class files upgraded so that the ahead-of-time cache can hold them, and the cache
 * that bin/spice trains, which the JVM uses and which a rebuilt jar retrains (the JVM itself
 * would serve the old classes). Works on a copy of cli/target: the build's own files are left alone.
 */
class PackagedCliTest {
    @TempDir
    Path dir;
    Path jar;

    @BeforeEach
    void copyPackage() throws IOException {
        Path target = Path.of("../cli/target").toAbsolutePath().normalize();
        Files.createDirectories(dir.resolve("lib"));
        jar = Files.copy(target.resolve("spice-cli.jar"), dir.resolve("spice-cli.jar"));
        try (Stream<Path> libs = Files.list(target.resolve("lib"))) {
            for (Path lib : (Iterable<Path>) libs::iterator) {
                Files.copy(lib, dir.resolve("lib").resolve(lib.getFileName()));
            }
        }
    }

    private record Run(int code, String out) {}

    private Run java(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void picocliIsPackagedAsClassFilesTheCacheCanHold() throws IOException {
        Path picocli;
        try (Stream<Path> libs = Files.list(dir.resolve("lib"))) {
            picocli = libs.filter(p -> p.getFileName().toString().startsWith("picocli-")).findFirst().orElseThrow();
        }
        int classes = 0;
        try (ZipFile z = new ZipFile(picocli.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) {
                if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")) {
                    try (DataInputStream in = new DataInputStream(z.getInputStream(e))) {
                        in.readInt();                           // magic
                        in.readUnsignedShort();                 // minor
                        assertThat(in.readUnsignedShort()).as(e.getName()).isGreaterThanOrEqualTo(50);
                    }
                    classes++;
                }
            }
        }
        assertThat(classes).isGreaterThan(100);
    }

    /** bin/spice's aot_cache (scripts/aot-cache.sh) for the copy: the cache's path, and whether it trained. */
    private record Cache(String path, boolean trained) {}

    private Cache aotCache() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("bash", "-c", "source ../scripts/aot-cache.sh && aot_cache client \"$0\" /nonexistent"
                + " \"$1\" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC", jar.toString(), java).start();
        String path = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isZero();
        assertThat(path).as(err).isNotEmpty();
        return new Cache(path, err.contains("training the client start-up cache"));
    }

    @Test
    void everyCommandRunsFromATrainedCacheWhichARebuiltJarRetrains() throws Exception {
        Cache first = aotCache();
        assertThat(first.trained()).isTrue();
        assertThat(aotCache()).as("the same jars: the cache is used as it is").isEqualTo(new Cache(first.path(), false));

        // AOTMode=on: the JVM fails instead of starting without the cache.
        String cache = "-XX:AOTCache=" + first.path();
        Run help = java(cache, "-XX:AOTMode=on", "-Xlog:class+load", "-cp", jar.toString(), "dev.spice.cli.Main", "--help");
        assertThat(help.code()).as(help.out()).isZero();
        assertThat(help.out()).contains("Usage: spice", "picocli.CommandLine source: shared objects file")
                .doesNotContain("picocli.CommandLine source: file:");
        for (String command : List.of("deploy", "invoke", "functions", "serve", "snapshot", "restore", "inspect")) {
            Run r = java(cache, "-cp", jar.toString(), "dev.spice.cli.Main", command, "--help");
            assertThat(r.code()).as(command + ": " + r.out()).isZero();
            assertThat(r.out()).startsWith("Usage: spice " + command);
        }

        // A rebuilt jar whose Main says another version. The JVM would serve the cached Main.
        try (FileSystem zip = FileSystems.newFileSystem(jar)) {
            Path main = zip.getPath("dev/spice/cli/Main.class");
            String bytes = new String(Files.readAllBytes(main), StandardCharsets.ISO_8859_1);
            assertThat(bytes).contains("spice 0.1.0");
            Files.write(main, bytes.replace("spice 0.1.0", "spice 9.9.9").getBytes(StandardCharsets.ISO_8859_1));
        }
        Cache retrained = aotCache();
        assertThat(retrained.trained()).as("a rebuilt jar retrains the cache").isTrue();
        Run version = java("-XX:AOTCache=" + retrained.path(), "-XX:AOTMode=on", "-cp", jar.toString(),
                "dev.spice.cli.Main", "--version");
        assertThat(version.out().strip()).isEqualTo("spice 9.9.9");
    }
}
