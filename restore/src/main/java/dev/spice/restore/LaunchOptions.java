package dev.spice.restore;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How to start a process in fresh namespaces.
 *
 * @param stdio      descriptors 0-2 of the process, mapped to ours (missing ones are inherited)
 * @param detach     return once it runs; nobody stays to report its exit
 * @param cgroups    the cgroup directories to run it in: one per v1 hierarchy, or the one v2 directory; none for none
 * @param lifelineFd the read end of a pipe whose write end we hold: when it closes (we ended),
 *                   the launcher kills the process; -1 for none
 * @param prefetch   what a restore does with the image's working set
 * @param sandbox    the sandbox to start it in, or null for the host's file system, network and ids
 */
public record LaunchOptions(Map<Integer, Integer> stdio, boolean detach, List<Path> cgroups, int lifelineFd,
        Prefetch prefetch, Sandbox sandbox) {

    /** Our stdio mapping; stay attached; full prefetch. */
    public static LaunchOptions attached(Map<Integer, Integer> stdio) {
        return new LaunchOptions(stdio, false, List.of(), -1, Prefetch.FULL, null);
    }

    public LaunchOptions withSandbox(Sandbox s) {
        return new LaunchOptions(stdio, detach, cgroups, lifelineFd, prefetch, s);
    }

    public static LaunchOptions detached(Map<Integer, Integer> stdio) {
        return new LaunchOptions(stdio, true, List.of(), -1, Prefetch.FULL, null);
    }
}
