package dev.spice.engine;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The instances of one deployment. At most {@code maxConcurrency} exist; an idle one serves the
 * next invocation (most recently used first, so the others age out), and one idle for longer
 * than the keep-alive is evicted. When all are busy, invocations wait for one.
 */
final class InstancePool {
    /** What {@link #acquire} grants: an idle instance, or the right to start a new one. */
    record Lease(Instance instance) {
        boolean isNew() {
            return instance == null;
        }
    }

    /** Kills instances evicted to make room, off the invocation's path. */
    private static final ExecutorService KILLER = Executors.newCachedThreadPool(
            r -> Thread.ofPlatform().daemon().name("spice-killer").unstarted(r));

    private final int maxConcurrency;
    private final Duration keepAlive;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Deque<Instance> idle = new ArrayDeque<>();
    private int live;
    private boolean closed;

    InstancePool(int maxConcurrency, Duration keepAlive) {
        this.maxConcurrency = maxConcurrency;
        this.keepAlive = keepAlive;
    }

    /**
     * An idle instance (unless {@code forceCold}), or a lease to start one. With {@code forceCold}
     * and no room left, the longest-idle instance is evicted to make room.
     */
    Lease acquire(boolean forceCold, long deadlineNanos) throws InterruptedException {
        List<Instance> victims = new ArrayList<>();
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new PoolClosedException();
                }
                if (!forceCold && !idle.isEmpty()) {
                    return new Lease(idle.pollFirst());
                }
                if (live < maxConcurrency) {
                    live++;
                    return new Lease(null);
                }
                if (forceCold && !idle.isEmpty()) {
                    victims.add(idle.pollLast());
                    live--;
                    continue;
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0 || !changed.await(left, TimeUnit.NANOSECONDS) && System.nanoTime() >= deadlineNanos) {
                    throw new TooManyRequestsException("all " + maxConcurrency + " instances are busy");
                }
            }
        } finally {
            lock.unlock();
            victims.forEach(v -> KILLER.execute(v::kill));
        }
    }

    /** A new instance could not be started: its place is free again. */
    void startFailed() {
        freePlace();
    }

    private void freePlace() {
        lock.lock();
        try {
            live--;
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Adds an instance that was started outside {@link #acquire} (the one a deployment booted). */
    boolean adopt(Instance instance) {
        lock.lock();
        try {
            if (closed || live >= maxConcurrency) {
                return false;
            }
            live++;
        } finally {
            lock.unlock();
        }
        release(instance);
        return true;
    }

    /** Returns a healthy instance after an invocation. */
    void release(Instance instance) {
        boolean keep;
        lock.lock();
        try {
            keep = !closed && instance.alive();
            if (keep) {
                instance.idleSinceNanos = System.nanoTime();
                idle.addFirst(instance);
            } else {
                live--;
            }
            changed.signal();
        } finally {
            lock.unlock();
        }
        if (!keep) {
            instance.kill();
        }
    }

    /** Kills an instance that failed or timed out; its place is free again. */
    void discard(Instance instance) {
        instance.kill();
        freePlace();
    }

    /** Kills the instances idle for longer than the keep-alive; returns how many. */
    int evictIdle() {
        return evictIdleOlderThan(keepAlive);
    }

    /** Kills the instances idle for longer than {@code age}; returns how many. */
    int evictIdleOlderThan(Duration age) {
        List<Instance> evicted = new ArrayList<>();
        lock.lock();
        try {
            long now = System.nanoTime();
            while (!idle.isEmpty() && now - idle.peekLast().idleSinceNanos >= age.toNanos()) {
                evicted.add(idle.pollLast());
                live--;
            }
            if (!evicted.isEmpty()) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        evicted.forEach(Instance::kill);
        return evicted.size();
    }

    /** Stops the pool: idle instances die now, busy ones when they are released. */
    void close() {
        List<Instance> all;
        lock.lock();
        try {
            closed = true;
            all = new ArrayList<>(idle);
            live -= idle.size();
            idle.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        all.forEach(Instance::kill);
    }

    int idleCount() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    int busyCount() {
        lock.lock();
        try {
            return live - idle.size();
        } finally {
            lock.unlock();
        }
    }

    /** The pool was closed (the function was redeployed or deleted) while an invocation waited. */
    static final class PoolClosedException extends RuntimeException {
        PoolClosedException() {
            super("the function's instance pool was replaced");
        }
    }
}
