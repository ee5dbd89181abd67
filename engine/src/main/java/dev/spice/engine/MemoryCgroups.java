package dev.spice.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One memory cgroup per instance, under {@code spice/} of the memory hierarchy: cgroup v2 where
 * the unified hierarchy has the memory controller, else cgroup v1's memory controller (as on
 * this machine kind). Without either, instances run without a memory limit (logged once).
 */
final class MemoryCgroups {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryCgroups.class);
    private static final Path V2 = Path.of("/sys/fs/cgroup");
    private static final Path V1 = Path.of("/sys/fs/cgroup/memory");

    private final Path base;
    private final boolean v2;

    private MemoryCgroups(Path base, boolean v2) {
        this.base = base;
        this.v2 = v2;
    }

    static MemoryCgroups detect() {
        try {
            if (Files.exists(V2.resolve("cgroup.controllers"))
                    && Files.readString(V2.resolve("cgroup.controllers")).contains("memory")) {
                Files.writeString(V2.resolve("cgroup.subtree_control"), "+memory");
                Path base = Files.createDirectories(V2.resolve("spice"));
                Files.writeString(base.resolve("cgroup.subtree_control"), "+memory");
                return new MemoryCgroups(base, true).cleaned();
            }
            if (Files.exists(V1.resolve("cgroup.procs"))) {
                return new MemoryCgroups(Files.createDirectories(V1.resolve("spice")), false).cleaned();
            }
        } catch (IOException e) {
            LOG.warn("memory cgroups unavailable ({}): instances run without a memory limit", e.getMessage());
            return new MemoryCgroups(null, false);
        }
        LOG.warn("no memory cgroup controller: instances run without a memory limit");
        return new MemoryCgroups(null, false);
    }

    /** Removes the empty cgroups a previous engine left. */
    private MemoryCgroups cleaned() throws IOException {
        try (Stream<Path> dirs = Files.list(base)) {
            dirs.filter(Files::isDirectory).forEach(d -> d.toFile().delete());
        }
        return this;
    }

    boolean enabled() {
        return base != null;
    }

    /** A new cgroup limited to {@code limitBytes}, or null when cgroups are unavailable. */
    Path create(String name, long limitBytes) {
        if (base == null) {
            return null;
        }
        try {
            Path dir = Files.createDirectory(base.resolve(name));
            setLimit(dir, limitBytes);
            if (v2) {
                Files.writeString(dir.resolve("memory.swap.max"), "0");
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the memory cgroup " + name, e);
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

    /** Removes the cgroup once its processes are gone (they may take a moment to leave). */
    void remove(Path cgroup) {
        if (cgroup == null) {
            return;
        }
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
