package dev.spice.engine;

import java.nio.file.Path;
import java.time.Duration;

/**
 * @param stateDir     where deployments live (default ~/.spice, or $SPICE_STATE_DIR)
 * @param keepAlive    how long an idle instance is kept, unless its manifest says otherwise
 * @param queueTimeout how long an invocation waits for a free instance before it is throttled
 * @param keepDeployed keep the instance a deployment booted as the first warm instance (a
 *                     server does; a one-shot command does not)
 */
public record EngineConfig(Path stateDir, Duration keepAlive, Duration queueTimeout, boolean keepDeployed) {

    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofSeconds(10);

    public static Path defaultStateDir() {
        String env = System.getenv("SPICE_STATE_DIR");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".spice");
    }

    public static EngineConfig defaults(Path stateDir) {
        return new EngineConfig(stateDir, DEFAULT_KEEP_ALIVE, Duration.ofSeconds(30), false);
    }

    public EngineConfig withKeepDeployed(boolean keep) {
        return new EngineConfig(stateDir, keepAlive, queueTimeout, keep);
    }

    public EngineConfig withKeepAlive(Duration keep) {
        return new EngineConfig(stateDir, keep, queueTimeout, keepDeployed);
    }
}
