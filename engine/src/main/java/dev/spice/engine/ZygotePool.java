package dev.spice.engine;

import dev.spice.restore.Launcher;
import dev.spice.restore.Prefetch;
import dev.spice.restore.Sandbox;
import dev.spice.restore.Zygote;
import dev.spice.sys.FdStreams;
import dev.spice.sys.Fds;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A few zygotes kept ready in the background (see {@link Zygote}), each with its socket, log pipe
 * and cgroups: a restore takes one instead of spawning a launcher, creating namespaces and
 * moving into a cgroup on the invocation's path. Refilled after every take.
 */
final class ZygotePool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZygotePool.class);
    /**
     * A zygote, our end of its socket, the drain of its log pipe (which owns that pipe), its
     * cgroup and that cgroup's limits.
     */
    record Prepared(String id, Zygote zygote, int socket, LogDrain log, Path cgroup, CgroupLimits limits) {}

    private final int target;
    private final InstanceCgroups cgroups;
    private final Sandbox sandbox;
    private final int lifelineRead;
    private final BlockingQueue<Prepared> ready = new LinkedBlockingQueue<>();
    private final ExecutorService filler = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("spice-zygotes").unstarted(r));
    private final AtomicLong counter = new AtomicLong();
    /** The limits new zygotes get: the last ones asked for, so that a take rarely has to change them. */
    private volatile CgroupLimits limits = CgroupLimits.initial();
    private volatile boolean closed;

    /** {@code sandbox}: what every function's sandbox shares (null for none); a zygote prepares it ahead. */
    ZygotePool(int target, InstanceCgroups cgroups, Sandbox sandbox, int lifelineRead) {
        this.target = target;
        this.cgroups = cgroups;
        this.sandbox = sandbox;
        this.lifelineRead = lifelineRead;
        refill();
    }

    /**
     * A ready zygote, or null if none is ready yet; later ones get the limits {@code wanted}.
     * The caller calls {@link #refill} once its restore is done: preparing the next zygote while
     * it runs would take CPU from it.
     */
    Prepared take(CgroupLimits wanted) {
        limits = wanted;
        return ready.poll();
    }

    /** Prepares zygotes in the background until {@code target} are ready. */
    void refill() {
        if (target == 0 || closed) {
            return;
        }
        filler.execute(() -> {
            while (!closed && ready.size() < target) {
                try {
                    ready.add(prepare());
                } catch (RuntimeException e) {
                    LOG.warn("cannot prepare a zygote: {}", e.getMessage());
                    return;
                }
            }
        });
    }

    private Prepared prepare() {
        String id = "zygote-" + counter.incrementAndGet() + "-" + ProcessHandle.current().pid();
        CgroupLimits cgroupLimits = limits;
        return InstanceWiring.start(cgroups, id, cgroupLimits, lifelineRead, Prefetch.NONE, sandbox,
                (options, socket, log, cgroup) -> {
                    Zygote z = Launcher.zygote(options);
                    // Started now, not on the restore's path: a thread start costs a few hundred microseconds.
                    return new Prepared(id, z, socket, LogDrain.start(FdStreams.input(log), id), cgroup, cgroupLimits);
                });
    }

    /** Waits until {@code target} zygotes are ready or the deadline ({@link System#nanoTime}) passes. */
    void awaitReady(long deadline) throws InterruptedException {
        while (ready.size() < target && !closed && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** Ends a zygote that will not be used. */
    void discard(Prepared p) {
        p.zygote().close();                     // its processes end, so the log drain sees the end
        Fds.close(p.socket());
        cgroups.remove(p.cgroup());
    }

    @Override
    public void close() {
        closed = true;
        filler.shutdown();
        try {
            filler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Prepared p; (p = ready.poll()) != null;) {
            discard(p);
        }
    }
}
