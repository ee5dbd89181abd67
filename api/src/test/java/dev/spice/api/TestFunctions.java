package dev.spice.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Function directories the tests deploy: the repository's hello, and small ones written on the spot. */
final class TestFunctions {
    /** functions/hello of the repository, from the api module's directory (where Maven runs the tests). */
    static final Path HELLO = Path.of("../functions/hello").toAbsolutePath().normalize();

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
}
