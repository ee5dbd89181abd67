package dev.spice.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.LaunchedProcess;
import dev.spice.restore.Launcher;
import dev.spice.restore.PinnedFiles;
import dev.spice.restore.Prefetch;
import dev.spice.restore.RestoreFailedException;
import dev.spice.sys.FdStreams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts instances, by restoring a deployment's snapshot or by booting its runtime, each in
 * fresh namespaces and its sandbox ({@link InstanceSandbox}), in its own cgroups, with a new
 * socket as fd 0 and one log pipe as fds 1 and 2. Every launcher holds our lifeline: if the engine dies, its instances die too.
 */
final class InstanceFactory {
    /** How long a booted runtime may take to import the handler. */
    static final Duration INIT_TIMEOUT = Duration.ofSeconds(120);

    private final Runtimes runtimes;
    private final InstanceCgroups cgroups;
    private final InstanceSandbox sandbox;
    private final int lifelineRead;
    private final ZygotePool zygotes;
    private final Prefetch prefetch;
    private final AtomicLong counter = new AtomicLong();
    private final Set<Instance> live = ConcurrentHashMap.newKeySet();
    /** The pinned files of each snapshot that serves, and how many serving deployments use it. */
    private static final class Pins {
        PinnedFiles files;
        int users = 1;

        Pins(PinnedFiles files) {
            this.files = files;
        }
    }

    private final Map<Path, Pins> pins = new HashMap<>();
    private final boolean pinFiles;

    /**
     * {@code sandbox}: where instances run (null: on the host, only to measure the sandbox's cost);
     * {@code pinFiles}: keep the files of serving snapshots open and hand them to their restores.
     */
    InstanceFactory(Runtimes runtimes, InstanceCgroups cgroups, InstanceSandbox sandbox, int lifelineRead,
            int zygotes, Prefetch prefetch, boolean pinFiles) {
        this.runtimes = runtimes;
        this.pinFiles = pinFiles;
        this.prefetch = prefetch;
        this.cgroups = cgroups;
        this.sandbox = sandbox;
        this.lifelineRead = lifelineRead;
        this.zygotes = new ZygotePool(zygotes, cgroups, sandbox == null ? null : sandbox.shared(), lifelineRead);
    }

    /** Every instance started and not yet killed. */
    Collection<Instance> live() {
        return live;
    }

    /** Restores the deployment's snapshot, in a ready zygote when there is one (see {@link #replenish}). */
    Instance restore(Deployment d) {
        return restore(d, prefetch);
    }

    Instance restore(Deployment d, Prefetch mode) {
        try {
            return restorePinned(d, mode);
        } catch (RestoreFailedException e) {
            repin(d);          // a pinned file replaced since is released; its path is checked anew next time
            throw e;
        }
    }

    /**
     * Pins the files of {@code d}'s snapshot until as many {@link #unpin} calls (a published version
     * and the current one share a snapshot): the engine calls it for every deployment it serves.
     * Without a snapshot, or with pinning off, nothing is pinned.
     */
    void pin(Deployment d) {
        if (!pinFiles || !d.hasSnapshot()) {
            return;
        }
        synchronized (pins) {
            Pins p = pins.get(d.snapshot());
            if (p != null) {
                p.users++;
                return;
            }
        }
        PinnedFiles files = open(d);
        PinnedFiles raced = null;
        synchronized (pins) {
            Pins p = pins.get(d.snapshot());
            if (p != null) {
                p.users++;
                raced = files;
            } else {
                pins.put(d.snapshot(), new Pins(files));
            }
        }
        if (raced != null) {
            raced.close();
        }
    }

    /** Closes {@code d}'s pinned files once no serving deployment uses them (restores still sending them finish first). */
    void unpin(Deployment d) {
        if (!d.hasSnapshot()) {
            return;
        }
        PinnedFiles closing = null;
        synchronized (pins) {
            Pins p = pins.get(d.snapshot());
            if (p != null && --p.users == 0) {
                pins.remove(d.snapshot());
                closing = p.files;
            }
        }
        if (closing != null) {
            closing.close();
        }
    }

    /** Pins the files anew: a file replaced since is then left to the restorer's check by path. */
    private void repin(Deployment d) {
        PinnedFiles old;
        synchronized (pins) {
            Pins p = pins.get(d.snapshot());
            if (p == null) {
                return;
            }
            old = p.files;
            p.files = open(d);
        }
        old.close();
    }

    /** The snapshot's files pinned; none (an empty set) if its image cannot be read now. */
    private static PinnedFiles open(Deployment d) {
        try {
            return PinnedFiles.of(d.snapshot());
        } catch (RuntimeException e) {
            return PinnedFiles.NONE;        // the restore will say what is wrong with the image
        }
    }

    private PinnedFiles pinned(Deployment d) {
        synchronized (pins) {
            Pins p = d.hasSnapshot() ? pins.get(d.snapshot()) : null;
            return p == null ? null : p.files;
        }
    }

    private Instance restorePinned(Deployment d, Prefetch mode) {
        CgroupLimits limits = CgroupLimits.of(d.manifest());
        // The zygotes have a network namespace of their own; a function on the host's network restores without one.
        ZygotePool.Prepared z = d.manifest().hostNetwork() && sandbox != null ? null : zygotes.take(limits);
        if (z == null) {
            try {
                return start(d, InvocationPath.RESTORED, mode);
            } finally {
                zygotes.refill();
            }
        }
        try {
            if (!z.limits().equals(limits)) {
                cgroups.apply(z.cgroup(), z.limits(), limits);
            }
            LaunchedProcess p = z.zygote().restore(d.snapshot(), mode,
                    sandbox == null ? List.of() : InstanceSandbox.own(d), pinned(d));
            String id = d.name() + "-" + z.id();
            z.log().rename(id);
            return register(new Instance(id, d, InvocationPath.RESTORED, p, new RuntimeChannel(z.socket()), z.cgroup(),
                    cgroups, live));
        } catch (RuntimeException e) {
            zygotes.discard(z);
            throw e;
        }
    }

    /**
     * Prepares zygotes for the restores to come. Called once the restored instance has answered:
     * preparing one while a restore or its first invocation runs would take CPU from them.
     */
    void replenish() {
        zygotes.refill();
    }

    /** Waits until the zygote pool is full again, or the deadline ({@link System#nanoTime}) passes. */
    void awaitZygotes(long deadline) throws InterruptedException {
        zygotes.awaitReady(deadline);
    }

    private Instance register(Instance i) {
        live.add(i);
        return i;
    }

    void close() {
        zygotes.close();
        synchronized (pins) {
            pins.values().forEach(p -> p.files.close());
            pins.clear();
        }
    }

    /** Boots the runtime and waits until the handler is imported. */
    Instance boot(Deployment d) {
        Instance instance = start(d, InvocationPath.BOOTED, Prefetch.NONE);
        try {
            JsonNode first = instance.awaitStartup(System.nanoTime() + INIT_TIMEOUT.toNanos());
            if ("ready".equals(first.path("type").asText())) {
                return instance;
            }
            instance.kill();
            JsonNode error = first.path("error");
            throw new FunctionInitException(error.path("errorType").asText("Runtime.Unknown"),
                    error.path("errorMessage").asText(first.toString()), error);
        } catch (RuntimeChannel.ClosedException | RuntimeChannel.TimeoutException e) {
            instance.kill();
            throw new FunctionInitException("Runtime.ExitError", "the runtime ended before it was ready ("
                    + e.getMessage() + ")", null);
        }
    }

    private static LaunchedProcess boot(Deployment d, RuntimeCommand command, LaunchOptions options) {
        return Launcher.boot(d.codeDir(), command.argv(d), command.environment(d), options);
    }

    private Instance start(Deployment d, InvocationPath path, Prefetch mode) {
        String id = d.name() + "-" + counter.incrementAndGet() + "-" + ProcessHandle.current().pid();
        return InstanceWiring.start(cgroups, id, CgroupLimits.of(d.manifest()), lifelineRead, mode,
                sandbox == null ? null : sandbox.of(d), (options, socket, log, cgroup) -> {
                    LaunchedProcess p = path == InvocationPath.RESTORED
                            ? Launcher.restore(d.snapshot(), options, pinned(d))
                            : boot(d, runtimes.of(d.manifest()), options);
                    LogDrain.start(FdStreams.input(log), id);
                    return register(new Instance(id, d, path, p, new RuntimeChannel(socket), cgroup, cgroups, live));
                });
    }
}
