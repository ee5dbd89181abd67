package dev.spice.runtime.crac;

import java.util.ArrayList;
import java.util.List;

/**
 * The global context: resources in the order they were registered. As in CRaC, beforeCheckpoint
 * runs in the reverse order of registration and afterRestore in that order; every resource is
 * notified even when one fails, and the failures are collected.
 */
public final class Core {
    private static final Global GLOBAL = new Global();

    private Core() {}

    public static Context<Resource> getGlobalContext() {
        return GLOBAL;
    }

    /** Notifies every resource that the snapshot is about to be taken (the prepare request). */
    public static void runBeforeCheckpoint() throws CheckpointException {
        GLOBAL.beforeCheckpoint(GLOBAL);
    }

    /** Notifies every resource that the instance was restored (the first request after a restore). */
    public static void runAfterRestore() throws RestoreException {
        GLOBAL.afterRestore(GLOBAL);
    }

    /** Spice snapshots an instance itself, after its warm-up; a function cannot ask for one. */
    public static void checkpointRestore() throws CheckpointException, RestoreException {
        throw new UnsupportedOperationException("Spice takes the snapshot itself after the warm-up events; "
                + "a function cannot request a checkpoint");
    }

    private static final class Global extends Context<Resource> {
        private final List<Resource> resources = new ArrayList<>();

        @Override
        public synchronized void register(Resource resource) {
            resources.add(resource);
        }

        private synchronized List<Resource> snapshot() {
            return List.copyOf(resources);
        }

        @Override
        public void beforeCheckpoint(Context<? extends Resource> context) throws CheckpointException {
            CheckpointException failed = new CheckpointException();
            List<Resource> all = snapshot();
            for (int i = all.size() - 1; i >= 0; i--) {
                try {
                    all.get(i).beforeCheckpoint(this);
                } catch (Exception e) {
                    failed.addSuppressed(e);
                }
            }
            if (failed.getSuppressed().length > 0) {
                throw failed;
            }
        }

        @Override
        public void afterRestore(Context<? extends Resource> context) throws RestoreException {
            RestoreException failed = new RestoreException();
            for (Resource r : snapshot()) {
                try {
                    r.afterRestore(this);
                } catch (Exception e) {
                    failed.addSuppressed(e);
                }
            }
            if (failed.getSuppressed().length > 0) {
                throw failed;
            }
        }
    }
}
