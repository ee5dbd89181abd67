package dev.spice.sys;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The one platform thread that may issue ptrace requests for a tracee: the kernel ties a
 * tracee to the thread that attached, so every request and wait runs here, in order.
 */
public final class TracerThread implements AutoCloseable {
    private final ExecutorService executor;

    public TracerThread(int pid) {
        executor = Executors.newSingleThreadExecutor(
                r -> Thread.ofPlatform().name("spice-tracer-" + pid).daemon(true).unstarted(r));
    }

    /** Runs {@code task} on the tracer thread and returns its result, rethrowing its exception. */
    public <T> T call(Callable<T> task) {
        Future<T> future = executor.submit(task);
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the tracer", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    public void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
