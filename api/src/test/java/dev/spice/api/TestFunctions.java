package dev.spice.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Function directories the tests deploy: the repository's hello, and small ones written on the spot. */
final class TestFunctions {
    /** functions/hello of the repository, from the api module's directory (where Maven runs the tests). */
    static final Path HELLO = Path.of("../functions/hello").toAbsolutePath().normalize();

    /** functions/json_parse, a Java function: its lib/ is built by the reactor (api's pom depends on it). */
    static final Path JSON_PARSE = Path.of("../functions/json_parse").toAbsolutePath().normalize();

    private TestFunctions() {}

    /** Writes {@code parent/name} with an app.py holding {@code code} and a manifest naming app.handler. */
    static Path write(Path parent, String name, String code) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(name));
        Files.writeString(dir.resolve("app.py"), code);
        Files.writeString(dir.resolve("spice.yaml"), "name: " + name + "\nruntime: python3\nhandler: app.handler\n");
        return dir;
    }

    static Path echo(Path parent, String name) throws IOException {
        return write(parent, name, """
                def handler(event, context):
                    print("echoing", event)
                    return {"echo": event}
                """);
    }

    static Path failing(Path parent, String name) throws IOException {
        return write(parent, name, """
                def handler(event, context):
                    raise ValueError("bad input")
                """);
    }

    /** A zip package holding app.py with {@code code}, as a Lambda user would upload it. */
    static byte[] zip(String code) throws IOException {
        return zip("app.py", code);
    }

    /** A zip package of one file. */
    static byte[] zip(String name, String contents) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            out.putNextEntry(new ZipEntry(name));
            out.write(contents.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return bytes.toByteArray();
    }

    /** A handler answering {"version": version} and the GREETING variable. */
    static String versioned(int version) {
        return """
                import os

                def handler(event, context):
                    return {"version": %d, "greeting": os.environ.get("GREETING"), "event": event}
                """.formatted(version);
    }
}
