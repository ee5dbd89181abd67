package dev.spice.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spice.restore.LaunchOptions;
import dev.spice.restore.LaunchedProcess;
import dev.spice.restore.Launcher;
import dev.spice.restore.Prefetch;
import dev.spice.sys.FdStreams;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
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

    /** {@code sandbox}: where instances run (null: on the host, only to measure the sandbox's cost). */
    InstanceFactory(Runtimes runtimes, InstanceCgroups cgroups, InstanceSandbox sandbox, int lifelineRead,
            int zygotes, Prefetch prefetch) {
        this.runtimes = runtimes;
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
                    sandbox == null ? List.of() : InstanceSandbox.own(d));
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
                            ? Launcher.restore(d.snapshot(), options)
                            : boot(d, runtimes.of(d.manifest()), options);
                    LogDrain.start(FdStreams.input(log), id);
                    return register(new Instance(id, d, path, p, new RuntimeChannel(socket), cgroup, cgroups, live));
                });
    }
}
