package dev.spice.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Who may use the server and what it may read: the access keys whose SigV4 signatures it
 * accepts (null: every request is accepted, for local use only), and the directories under
 * which {@code POST /functions} may deploy a function by path (none: deploy by path is refused).
 */
public record ApiSecurity(ApiCredentials credentials, List<Path> deployRoots) {

    public ApiSecurity {
        deployRoots = deployRoots.stream().map(ApiSecurity::real).toList();
    }

    /** No authentication and no deploy roots: for tests and local tools that need neither. */
    public static ApiSecurity open() {
        return new ApiSecurity(null, List.of());
    }

    private static Path real(Path root) {
        try {
            return root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("deploy root " + root + " is not an existing directory", e);
        }
    }

    /** Whether {@code dir} (resolved through every link) lies under a deploy root. */
    boolean mayDeployFrom(Path dir) {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return false;
        }
        return deployRoots.stream().anyMatch(real::startsWith);
    }
}
