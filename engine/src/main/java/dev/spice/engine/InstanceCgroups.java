package dev.spice.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroups of each instance, under {@code spice/}: its memory limit and a limit on its
 * processes and threads (a fork bomb fails with EAGAIN inside its own instance). cgroup v2 where
 * the unified hierarchy has the memory controller: one directory with both; else cgroup v1 (as on
 * this machine kind): a directory of the same name in the memory and in the pids hierarchy. An
 * instance is named by its memory cgroup. Without cgroups, instances run without limits (logged).
 */
final class InstanceCgroups {
    /** Processes and threads an instance may have at once: far above what a runtime starts, far below a bomb. */
    static final int MAX_PIDS = 512;
    private static final Logger LOG = LoggerFactory.getLogger(InstanceCgroups.class);
    private static final Path V2 = Path.of("/sys/fs/cgroup");
    private static final Path V1 = Path.of("/sys/fs/cgroup/memory");
    private static final Path V1_PIDS = Path.of("/sys/fs/cgroup/pids");

    private final Path base;
    private final Path pidsBase;                // v1 only: the pids hierarchy's spice/, or null
    private final boolean v2;

    private InstanceCgroups(Path base, Path pidsBase, boolean v2) {
        this.base = base;
        this.pidsBase = pidsBase;
        this.v2 = v2;
    }

    static InstanceCgroups detect() {
        try {
            if (Files.exists(V2.resolve("cgroup.controllers"))
                    && Files.readString(V2.resolve("cgroup.controllers")).contains("memory")) {
                String controllers = Files.readString(V2.resolve("cgroup.controllers")).contains("pids")
                        ? "+memory +pids" : "+memory";
                Files.writeString(V2.resolve("cgroup.subtree_control"), controllers);
                Path base = Files.createDirectories(V2.resolve("spice"));
                Files.writeString(base.resolve("cgroup.subtree_control"), controllers);
                return new InstanceCgroups(base, null, true).cleaned();
            }
            if (Files.exists(V1.resolve("cgroup.procs"))) {
                Path pids = Files.exists(V1_PIDS.resolve("cgroup.procs")) ? Files.createDirectories(V1_PIDS.resolve("spice"))
                        : null;
                if (pids == null) {
                    LOG.warn("no pids cgroup controller: instances run without a process limit");
                }
                return new InstanceCgroups(Files.createDirectories(V1.resolve("spice")), pids, false).cleaned();
            }
        } catch (IOException e) {
            LOG.warn("memory cgroups unavailable ({}): instances run without a memory limit", e.getMessage());
            return new InstanceCgroups(null, null, false);
        }
        LOG.warn("no memory cgroup controller: instances run without a memory limit");
        return new InstanceCgroups(null, null, false);
    }

    /** Removes the empty cgroups a previous engine left. */
    private InstanceCgroups cleaned() throws IOException {
        for (Path root : pidsBase == null ? List.of(base) : List.of(base, pidsBase)) {
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.filter(Files::isDirectory).forEach(d -> d.toFile().delete());
            }
        }
        return this;
    }

    /** Every directory a process of the instance named by {@code cgroup} must join (none for null). */
    List<Path> directories(Path cgroup) {
        if (cgroup == null) {
            return List.of();
        }
        return pidsBase == null ? List.of(cgroup) : List.of(cgroup, pidsBase.resolve(cgroup.getFileName()));
    }

    boolean enabled() {
        return base != null;
    }

    /** A new cgroup limited to {@code limitBytes}, or null when cgroups are unavailable. */
    Path create(String name, long limitBytes) {
        if (base == null) {
            return null;
        }
        Path dir = base.resolve(name);
        try {
            Files.createDirectory(dir);
            setLimit(dir, limitBytes);
            if (v2) {
                Files.writeString(dir.resolve("memory.swap.max"), "0");
                if (Files.exists(dir.resolve("pids.max"))) {
                    Files.writeString(dir.resolve("pids.max"), Integer.toString(MAX_PIDS));
                }
            } else if (pidsBase != null) {
                Path pids = Files.createDirectory(pidsBase.resolve(name));
                Files.writeString(pids.resolve("pids.max"), Integer.toString(MAX_PIDS));
            }
            return dir;
        } catch (IOException e) {
            remove(dir);                        // what was made of it
            throw new UncheckedIOException("cannot create the cgroups of " + name, e);
        }
    }

    /** Changes the limit of an existing cgroup (of a zygote, when it becomes an instance). */
    void setLimit(Path cgroup, long limitBytes) {
        if (cgroup == null) {
            return;
        }
        try {
            Files.writeString(cgroup.resolve(v2 ? "memory.max" : "memory.limit_in_bytes"), Long.toString(limitBytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set the memory limit of " + cgroup, e);
        }
    }

    /** Bytes charged to the cgroup now; 0 if unknown. */
    long usage(Path cgroup) {
        return cgroup == null ? 0 : readLong(cgroup.resolve(v2 ? "memory.current" : "memory.usage_in_bytes"));
    }

    /** Whether the kernel killed a process of the cgroup for exceeding its limit. */
    boolean oomKilled(Path cgroup) {
        if (cgroup == null) {
            return false;
        }
        try {
            for (String line : Files.readAllLines(cgroup.resolve(v2 ? "memory.events" : "memory.oom_control"))) {
                if (line.startsWith("oom_kill ") && Long.parseLong(line.substring(9).strip()) > 0) {
                    return true;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    /** Removes the instance's cgroups once its processes are gone (they may take a moment to leave). */
    void remove(Path cgroup) {
        for (Path dir : directories(cgroup)) {
            removeDirectory(dir);
        }
    }

    private static void removeDirectory(Path cgroup) {
        for (int attempt = 0; attempt < 50; attempt++) {
            if (cgroup.toFile().delete() || !Files.exists(cgroup)) {
                return;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.warn("cgroup {} is still busy; left in place", cgroup);
    }

    private static long readLong(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }
}
