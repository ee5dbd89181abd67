package dev.spice.sys;

/**
 * Descriptors that several threads use and one of them closes: the release (closing the numbers)
 * runs exactly once, when the owner has closed and no user is inside, whichever comes last, so a
 * number the kernel hands out again is never read, written or closed by us. No user enters after
 * the close. Without users it is an idempotent close.
 */
public final class UseCount {
    private final Runnable release;
    private int users;
    private boolean closed;
    private boolean released;

    /** {@code release} runs once, under this object's lock. */
    public UseCount(Runnable release) {
        this.release = release;
    }

    /** A user enters; false (and nothing entered) once closed. */
    public synchronized boolean enter() {
        if (closed) {
            return false;
        }
        users++;
        return true;
    }

    /** The user that entered leaves; the release runs if it was the last one after the close. */
    public synchronized void leave() {
        users--;
        releaseIfUnused();
    }

    /** Closes; false if already closed. */
    public boolean close() {
        return close(() -> { });
    }

    /**
     * Closes: {@code first} runs (only the first time, before any release: to wake users waiting on
     * the descriptors, for example), then the release if no user is inside. False if already closed.
     */
    public synchronized boolean close(Runnable first) {
        if (closed) {
            return false;
        }
        closed = true;
        first.run();
        releaseIfUnused();
        return true;
    }

    private void releaseIfUnused() {
        if (closed && users == 0 && !released) {
            released = true;
            release.run();
        }
    }
}
