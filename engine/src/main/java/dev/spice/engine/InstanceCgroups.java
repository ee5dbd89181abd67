package dev.spice.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroups of each instance, under {@code spice/}: its memory limit, a limit on its processes
 * and threads (a fork bomb fails with EAGAIN inside its own instance), its CPU quota and weight,
 * and its disk throughput ({@link CgroupLimits}). cgroup v2 where the unified hierarchy has the
 * memory controller: one directory with every controller it has; else cgroup v1 (as on this
 * machine): a directory of the same name in the memory hierarchy and in each of the pids, cpu and
 * blkio hierarchies that is mounted (the launcher joins at most four). An instance is named by its
 * memory cgroup. A controller that is missing is logged once and its limit not applied.
 */
final class InstanceCgroups {
    /** Processes and threads an instance may have at once: far above what a runtime starts, far below a bomb. */
    static final int MAX_PIDS = 512;
    private static final Logger LOG = LoggerFactory.getLogger(InstanceCgroups.class);
    private static final Path ROOT = Path.of("/sys/fs/cgroup");
    /** The v1 hierarchies an instance joins besides memory, by controller. */
    private static final List<String> V1_OTHERS = List.of("pids", "cpu", "blkio");

    private final Path base;                    // spice/ of the v2 or the v1 memory hierarchy; null: no cgroups
    private final Map<String, Path> v1Others;   // v1: controller -> spice/ of its hierarchy, for those mounted
    private final Set<String> controllers;      // the controllers an instance's limits are written to
    private final boolean v2;
    private final List<String> ioDevices;       // MAJ:MIN of the disks instances read from

    private InstanceCgroups(Path base, Map<String, Path> v1Others, Set<String> controllers, boolean v2,
            List<String> ioDevices) {
        this.base = base;
        this.v1Others = v1Others;
        this.controllers = controllers;
        this.v2 = v2;
        this.ioDevices = ioDevices;
    }

    /** The cgroups of this machine; io limits apply to the disks that hold {@code stateDir} and /usr. */
    static InstanceCgroups detect(Path stateDir) {
        try {
            Path controllersFile = ROOT.resolve("cgroup.controllers");
            if (Files.exists(controllersFile) && Set.of(Files.readString(controllersFile).strip().split(" ")).contains("memory")) {
                Set<String> available = Set.of(Files.readString(controllersFile).strip().split(" "));
                Set<String> used = new LinkedHashSet<>();
                for (String c : List.of("memory", "pids", "cpu", "io")) {
                    if (available.contains(c)) {
                        used.add(c);
                    }
                }
                String enable = String.join(" ", used.stream().map(c -> "+" + c).toList());
                Files.writeString(ROOT.resolve("cgroup.subtree_control"), enable);
                Path base = Files.createDirectories(ROOT.resolve("spice"));
                Files.writeString(base.resolve("cgroup.subtree_control"), enable);
                return new InstanceCgroups(base, Map.of(), used, true, ioDevices(used.contains("io"), stateDir)).cleaned();
            }
            if (Files.exists(ROOT.resolve("memory/cgroup.procs"))) {
                Map<String, Path> others = new LinkedHashMap<>();
                Set<String> used = new LinkedHashSet<>(List.of("memory"));
                for (String c : V1_OTHERS) {
                    if (Files.exists(ROOT.resolve(c).resolve("cgroup.procs"))) {
                        others.put(c, Files.createDirectories(ROOT.resolve(c).resolve("spice")));
                        used.add(c);
                    }
                }
                return new InstanceCgroups(Files.createDirectories(ROOT.resolve("memory/spice")), others, used, false,
                        ioDevices(used.contains("blkio"), stateDir)).cleaned();
            }
        } catch (IOException e) {
            LOG.warn("memory cgroups unavailable ({}): instances run without a memory limit", e.getMessage());
            return new InstanceCgroups(null, Map.of(), Set.of(), false, List.of());
        }
        LOG.warn("no memory cgroup controller: instances run without a memory limit");
        return new InstanceCgroups(null, Map.of(), Set.of(), false, List.of());
    }

    /** The disks to throttle, or none (logged) when the machine has no io controller or no such disk. */
    private static List<String> ioDevices(boolean controller, Path stateDir) {
        List<String> devices = controller ? BlockDevices.disksOf(List.of(stateDir, Path.of("/usr"))) : List.of();
        if (devices.isEmpty()) {
            LOG.warn("io cgroup limits unavailable ({}): io_mbps is not applied",
                    controller ? "the state directory is not on a block device" : "no io/blkio controller");
        }
        return devices;
    }

    /**
     * Removes the empty cgroups that engines no longer running left; also warns once of a missing
     * controller. Every instance's cgroup name ends in its engine's PID: the cgroups of another
     * engine on this host, made but not yet joined, stay.
     */
    private InstanceCgroups cleaned() throws IOException {
        for (String c : List.of("pids", "cpu")) {
            if (!controllers.contains(c)) {
                LOG.warn("no {} cgroup controller: instances run without {}", c,
                        c.equals("pids") ? "a process limit" : "a CPU quota or weight");
            }
        }
        List<Path> roots = new ArrayList<>(List.of(base));
        roots.addAll(v1Others.values());
        for (Path root : roots) {
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.filter(d -> Files.isDirectory(d) && ownerGone(d)).forEach(d -> d.toFile().delete());
            }
        }
        return this;
    }

    private static boolean ownerGone(Path cgroup) {
        String name = cgroup.getFileName().toString();
        try {
            long engine = Long.parseLong(name.substring(name.lastIndexOf('-') + 1));
            return ProcessHandle.of(engine).isEmpty();
        } catch (NumberFormatException e) {
            return true;                        // not an instance's: made by nobody running
        }
    }

    /** Every directory a process of the instance named by {@code cgroup} must join (none for null). */
    List<Path> directories(Path cgroup) {
        if (cgroup == null) {
            return List.of();
        }
        List<Path> dirs = new ArrayList<>(List.of(cgroup));
        v1Others.values().forEach(root -> dirs.add(root.resolve(cgroup.getFileName())));
        return dirs;
    }

    boolean enabled() {
        return base != null;
    }

    /** A new cgroup with {@code limits}, or null when cgroups are unavailable. */
    Path create(String name, CgroupLimits limits) {
        if (base == null) {
            return null;
        }
        Path dir = base.resolve(name);
        try {
            for (Path d : directories(dir)) {
                Files.createDirectory(d);
            }
            if (v2) {
                Files.writeString(dir.resolve("memory.swap.max"), "0");
            }
            if (controllers.contains("pids")) {
                Files.writeString(in("pids", dir).resolve("pids.max"), Integer.toString(MAX_PIDS));
            }
            write(dir, null, limits);
            return dir;
        } catch (IOException e) {
            remove(dir);                        // what was made of it
            throw new UncheckedIOException("cannot create the cgroups of " + name, e);
        }
    }

    /**
     * Writes the limits that differ from {@code old} (every one if null): a zygote's cgroups are
     * prepared ahead with guessed limits, and a restore only rewrites what its function changes.
     */
    void apply(Path cgroup, CgroupLimits old, CgroupLimits limits) {
        if (cgroup == null) {
            return;
        }
        try {
            write(cgroup, old, limits);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set the limits of " + cgroup, e);
        }
    }

    private void write(Path cgroup, CgroupLimits old, CgroupLimits limits) throws IOException {
        if (old == null || old.memoryBytes() != limits.memoryBytes()) {
            Files.writeString(cgroup.resolve(v2 ? "memory.max" : "memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
        }
        if (controllers.contains("cpu") && (old == null || old.cpuQuotaUs() != limits.cpuQuotaUs()
                || old.cpuShares() != limits.cpuShares())) {
            writeCpu(in("cpu", cgroup), limits);
        }
        if (!ioDevices.isEmpty() && (old == null ? limits.ioBytesPerSecond() > 0
                : old.ioBytesPerSecond() != limits.ioBytesPerSecond())) {
            writeIo(in(v2 ? "io" : "blkio", cgroup), limits.ioBytesPerSecond());
        }
    }

    private void writeCpu(Path dir, CgroupLimits limits) throws IOException {
        String quota = limits.cpuQuotaUs() < 0 ? (v2 ? "max" : "-1") : Long.toString(limits.cpuQuotaUs());
        if (v2) {
            Files.writeString(dir.resolve("cpu.max"), quota + " " + CgroupLimits.CPU_PERIOD_US);
            Files.writeString(dir.resolve("cpu.weight"), Integer.toString(limits.cpuWeight()));
        } else {
            Files.writeString(dir.resolve("cpu.cfs_period_us"), Long.toString(CgroupLimits.CPU_PERIOD_US));
            Files.writeString(dir.resolve("cpu.cfs_quota_us"), quota);
            Files.writeString(dir.resolve("cpu.shares"), Integer.toString(limits.cpuShares()));
        }
    }

    /** 0 removes the limit (v1: a rule of 0 is deleted; v2: max). */
    private void writeIo(Path dir, long bytesPerSecond) throws IOException {
        for (String device : ioDevices) {
            if (v2) {
                String rate = bytesPerSecond == 0 ? "max" : Long.toString(bytesPerSecond);
                Files.writeString(dir.resolve("io.max"), device + " rbps=" + rate + " wbps=" + rate);
            } else {
                Files.writeString(dir.resolve("blkio.throttle.read_bps_device"), device + " " + bytesPerSecond);
                Files.writeString(dir.resolve("blkio.throttle.write_bps_device"), device + " " + bytesPerSecond);
            }
        }
    }

    /** The instance's directory for {@code controller}: the one v2 directory, or its twin in that v1 hierarchy. */
    private Path in(String controller, Path cgroup) {
        return v2 || controller.equals("memory") ? cgroup : v1Others.get(controller).resolve(cgroup.getFileName());
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
