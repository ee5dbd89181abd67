package dev.spice.cli;

import dev.spice.api.ApiCredentials;
import dev.spice.engine.EngineException;
import java.nio.file.Path;

/**
 * Where the access keys come from, for the server and for the commands that talk to it: a
 * credentials file given on the command line, else {@code SPICE_CREDENTIALS=KEY_ID:SECRET},
 * else (client only) AWS's own {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY},
 * else the server's own key in its state directory (the server creates it on first start).
 */
final class ServerCredentials {
    static final String ENV = "SPICE_CREDENTIALS";

    private ServerCredentials() {}

    /** The keys a server accepts. */
    static ApiCredentials resolve(Path file, Path stateDir) {
        try {
            if (file != null) {
                return ApiCredentials.load(file);
            }
            String env = System.getenv(ENV);
            if (env != null && !env.isBlank()) {
                return ApiCredentials.parse(env);
            }
            return ApiCredentials.loadOrCreate(stateDir.resolve(ApiCredentials.STATE_FILE));
        } catch (IllegalArgumentException e) {
            throw new EngineException(e.getMessage());
        }
    }

    /** The key a command signs with, or null if there is none to find. */
    static ApiCredentials.Key forClient(Path stateDir) {
        try {
            String env = System.getenv(ENV);
            if (env != null && !env.isBlank()) {
                return ApiCredentials.parse(env).first();
            }
            String id = System.getenv("AWS_ACCESS_KEY_ID"), secret = System.getenv("AWS_SECRET_ACCESS_KEY");
            if (id != null && !id.isBlank() && secret != null && !secret.isBlank()) {
                return ApiCredentials.parse(id + ":" + secret).first();
            }
            Path own = stateDir.resolve(ApiCredentials.STATE_FILE);
            return own.toFile().canRead() ? ApiCredentials.load(own).first() : null;
        } catch (IllegalArgumentException e) {
            throw new EngineException(e.getMessage());
        }
    }
}
