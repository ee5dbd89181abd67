package dev.spice.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The function's class loader, over its code directory as Lambda lays a Java function out: class
 * files at the top (an unpacked zip) or in classes/, jars at the top and in lib/. Its parent is
 * the shim's loader, which provides aws-lambda-java-core as Lambda's runtime does; the shim's own
 * Jackson is relocated, so a function's Jackson is the one it bundles.
 */
final class FunctionClassPath {
    private FunctionClassPath() {}

    static URLClassLoader of(Path codeDir) {
        List<URL> urls = new ArrayList<>();
        try {
            urls.add(url(codeDir));
            Path classes = codeDir.resolve("classes");
            if (Files.isDirectory(classes)) {
                urls.add(url(classes));
            }
            urls.addAll(jars(codeDir));
            urls.addAll(jars(codeDir.resolve("lib")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the function's code in " + codeDir, e);
        }
        return new URLClassLoader("function", urls.toArray(URL[]::new), FunctionClassPath.class.getClassLoader());
    }

    /** The jars in {@code dir} by name, so the order does not depend on the file system. */
    private static List<URL> jars(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<URL> urls = new ArrayList<>();
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f))
                    .sorted().toList()) {
                urls.add(url(p));
            }
            return urls;
        }
    }

    private static URL url(Path p) throws MalformedURLException {
        return p.toAbsolutePath().toUri().toURL();
    }
}
