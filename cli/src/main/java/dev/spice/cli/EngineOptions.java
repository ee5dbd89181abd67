package dev.spice.cli;

import dev.spice.engine.EngineConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the engine keeps its state, shared by the engine commands. */
final class EngineOptions {
    @Option(names = "--state-dir", description = "the engine's state directory (default: $SPICE_STATE_DIR or ~/.spice)")
    Path stateDir;

    /** For one command: no zygotes (nothing would wait long enough to use them). */
    EngineConfig config() {
        return EngineConfig.defaults(stateDir != null ? stateDir : EngineConfig.defaultStateDir()).withZygotes(0);
    }
}
