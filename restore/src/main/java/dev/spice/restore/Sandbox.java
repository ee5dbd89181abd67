package dev.spice.restore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The sandbox a process is started in (restore/src/main/c/sandbox.c, docs/sandbox.md): a user
 * namespace in which it runs as an unprivileged host id without capabilities, a network
 * namespace with only loopback (unless {@code hostNetwork}), and a root file system of its own on
 * a tmpfs mounted at {@code root}: the host paths {@code binds} bound read-only at the same
 * paths (so that the paths a snapshot recorded are the paths inside), its own /proc, a minimal
 * /dev and a /tmp of {@code tmpBytes}.
 *
 * @param root        an empty host directory; each instance mounts its own root there, privately
 * @param hostId      the host uid and gid the process runs as
 */
public record Sandbox(Path root, int hostId, long tmpBytes, boolean hostNetwork, List<Path> binds) {

    public Sandbox {
        if (!root.isAbsolute() || hostId <= 0 || tmpBytes <= 0) {
            throw new IllegalArgumentException("a sandbox needs an absolute root, a host id and a /tmp size");
        }
        binds = List.copyOf(binds);
        for (Path p : binds) {
            if (!p.isAbsolute() || p.toString().contains("\n")) {
                throw new IllegalArgumentException("cannot bind " + p + " into a sandbox");
            }
        }
    }

    /** This sandbox with {@code more} paths bound too. */
    public Sandbox with(List<Path> more) {
        List<Path> all = new ArrayList<>(binds);
        all.addAll(more);
        return new Sandbox(root, hostId, tmpBytes, hostNetwork, all);
    }

    /** The same sandbox, with the host's network or without it. */
    public Sandbox withHostNetwork(boolean host) {
        return new Sandbox(root, hostId, tmpBytes, host, binds);
    }

    List<String> arguments() {
        List<String> args = new ArrayList<>(List.of("--sandbox=" + root, "--sandbox-id=" + hostId,
                "--tmp-size=" + tmpBytes));
        if (hostNetwork) {
            args.add("--host-network");
        }
        for (Path p : binds) {
            args.add("--bind=" + p);
        }
        return args;
    }
}
