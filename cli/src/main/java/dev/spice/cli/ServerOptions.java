package dev.spice.cli;

import dev.spice.api.ApiCredentials;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Which server the engine commands talk to. By default they use a server on this machine's
 * default address if one answers, and otherwise run the engine in-process.
 */
final class ServerOptions {
    static final String DEFAULT_ENDPOINT = "http://127.0.0.1:9000";

    @Option(names = "--endpoint", description = "a spice server to use (default: $SPICE_ENDPOINT, else "
            + DEFAULT_ENDPOINT + " if it answers)")
    URI endpoint;

    @Option(names = "--local", description = "run the engine in this process even if a server is running")
    boolean local;

    /** The server to use, or null to run the engine here; requests are signed with a key found for {@code stateDir}. */
    RemoteEngine remote(Path stateDir) {
        ApiCredentials.Key key = local ? null : ServerCredentials.forClient(stateDir);
        if (local) {
            return null;
        }
        if (endpoint != null) {
            return RemoteEngine.connect(endpoint, true, key);
        }
        String env = System.getenv("SPICE_ENDPOINT");
        if (env != null && !env.isBlank()) {
            return RemoteEngine.connect(URI.create(env), true, key);
        }
        return RemoteEngine.connect(URI.create(DEFAULT_ENDPOINT), false, key);
    }
}
