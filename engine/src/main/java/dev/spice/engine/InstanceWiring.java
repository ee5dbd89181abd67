package dev.spice.engine;

import dev.spice.restore.LaunchOptions;
import dev.spice.restore.Prefetch;
import dev.spice.restore.Sandbox;
import dev.spice.sys.Fds;
import java.nio.file.Path;
import java.util.Map;

/**
 * What every instance and zygote is started with: a socket as fd 0, a log pipe as fds 1-2, its
 * own cgroups, its sandbox (null for none) and the engine's lifeline. The child's ends are closed once it has them; if
 * the start fails, ours are closed and the cgroup removed.
 */
final class InstanceWiring {
    /** Starts the process with {@code options}; {@code socket} and {@code log} are our ends. */
    interface Start<T> {
        T start(LaunchOptions options, int socket, int log, Path cgroup);
    }

    private InstanceWiring() {}

    static <T> T start(InstanceCgroups cgroups, String id, CgroupLimits limits, int lifelineRead, Prefetch prefetch,
            Sandbox sandbox, Start<T> start) {
        int[] socket = Fds.socketPair();
        int[] log = Fds.pipe();
        Path cgroup = cgroups.create(id, limits);
        try {
            LaunchOptions options = new LaunchOptions(Map.of(0, socket[1], 1, log[1], 2, log[1]), false, cgroups.directories(cgroup),
                    lifelineRead, prefetch, sandbox);
            return start.start(options, socket[0], log[0], cgroup);
        } catch (RuntimeException e) {
            Fds.close(socket[0]);
            Fds.close(log[0]);
            cgroups.remove(cgroup);
            throw e;
        } finally {
            Fds.close(socket[1]);
            Fds.close(log[1]);
        }
    }
}
