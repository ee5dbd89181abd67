package dev.spice.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.restore.LaunchedProcess;
import dev.spice.sys.ErrnoException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One running instance of a function: a runtime process in its own namespaces, its channel,
 * and its memory cgroup. Used by one invocation at a time (the pool sees to that).
 */
final class Instance {
    final String id;
    final Deployment deployment;
    final InvocationPath origin;
    private final LaunchedProcess process;
    private final RuntimeChannel channel;
    private final Path cgroup;
    private final InstanceCgroups cgroups;
    /** The factory's set of live instances, which this one leaves when it dies. */
    private final Set<Instance> registry;
    /** Set on restored instances until their first request carries fresh entropy. */
    private boolean reseed;
    /** Set once by the first {@link #kill}: the evictor, an invocation and the engine's close may race to it. */
    private final AtomicBoolean dead = new AtomicBoolean();
    long idleSinceNanos;

    Instance(String id, Deployment deployment, InvocationPath origin, LaunchedProcess process,
            RuntimeChannel channel, Path cgroup, InstanceCgroups cgroups, Set<Instance> registry) {
        this.id = id;
        this.deployment = deployment;
        this.origin = origin;
        this.process = process;
        this.channel = channel;
        this.cgroup = cgroup;
        this.cgroups = cgroups;
        this.registry = registry;
        this.reseed = origin == InvocationPath.RESTORED;
    }

    LaunchedProcess process() {
        return process;
    }

    /** Sends a request and waits for the answer until {@code deadline} ({@link System#nanoTime()}). */
    JsonNode call(ObjectNode request, long deadline) throws RuntimeChannel.ClosedException,
            RuntimeChannel.TimeoutException {
        channel.send(request);
        return channel.receive(deadline);
    }

    /** Waits for the first message of a booted runtime ("ready" or "init_error"). */
    JsonNode awaitStartup(long deadline) throws RuntimeChannel.ClosedException, RuntimeChannel.TimeoutException {
        return channel.receive(deadline);
    }

    /** Whether the next request must carry fresh entropy; true only once. */
    boolean takeReseed() {
        boolean r = reseed;
        reseed = false;
        return r;
    }

    long memoryBytes() {
        return cgroups.usage(cgroup);
    }

    boolean oomKilled() {
        return cgroups.oomKilled(cgroup);
    }

    boolean alive() {
        return !dead.get();
    }

    /** Kills the namespace (process, init and all), reaps the launcher, removes the cgroup. */
    void kill() {
        if (!dead.compareAndSet(false, true)) {
            return;
        }
        process.kill();
        try {
            process.waitFor();
        } catch (ErrnoException e) {
            // already reaped
        }
        channel.close();
        cgroups.remove(cgroup);
        registry.remove(this);
    }
}
