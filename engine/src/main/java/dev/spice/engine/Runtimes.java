package dev.spice.engine;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/** The runtime of every {@link Language}, with its shim installed under the state directory's runtimes/. */
final class Runtimes {
    private final Path dir;
    private final Map<Language, RuntimeCommand> commands = new EnumMap<>(Language.class);

    Runtimes(Path dir) {
        this.dir = dir;
        commands.put(Language.PYTHON, new PythonCommand(dir));
        commands.put(Language.NODEJS, new NodeCommand(dir));
        commands.put(Language.JAVA, new JavaCommand(dir));
    }

    /** The folder of every shim, which every sandbox binds read-only. */
    Path shimsDir() {
        return dir;
    }

    RuntimeCommand of(FunctionManifest m) {
        return commands.get(m.language());
    }
}
