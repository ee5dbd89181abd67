package dev.spice.tests;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Java functions made by a test: sources compiled with the JDK's compiler into a function
 * directory's classes/, against aws-lambda-java-core (which the runtime provides) and org.crac
 * (which the function bundles in lib/, as a Lambda function does).
 */
final class JavaFunctions {
    private JavaFunctions() {}

    /** Writes {@code dir/spice.yaml} (with {@code manifest} lines) and compiles {@code sources} (path -> text). */
    static Path create(Path dir, String manifest, Map<String, String> sources) {
        try {
            Files.createDirectories(dir.resolve("lib"));
            Files.writeString(dir.resolve("spice.yaml"), manifest);
            Path crac = jarOf(org.crac.Core.class);
            Files.copy(crac, dir.resolve("lib").resolve(crac.getFileName()));
            Path src = Files.createTempDirectory("java-function-src");
            List<String> args = new ArrayList<>(List.of("-d", dir.resolve("classes").toString(), "-cp",
                    jarOf(RequestHandler.class) + ":" + crac, "--release", "21"));
            for (var e : sources.entrySet()) {
                Path file = src.resolve(e.getKey());
                Files.createDirectories(file.getParent());
                Files.writeString(file, e.getValue());
                args.add(file.toString());
            }
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            ByteArrayOutputStream errors = new ByteArrayOutputStream();
            int rc = javac.run(null, errors, errors, args.toArray(String[]::new));
            if (rc != 0) {
                throw new IllegalStateException("javac failed: " + errors);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path jarOf(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
