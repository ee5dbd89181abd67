package dev.spice.runtime;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Where the function's output goes: System.out and System.err (and the context's logger) write
 * into the running invocation's log, or straight to the real descriptor between invocations, so
 * that no output lingers in a buffer that would be snapshotted. Threads the function started may
 * write at any time, hence the lock.
 */
final class Output {
    /** Logs longer than this are cut to their tail when the response would not fit in a frame. */
    static final int LOG_TAIL = 1024 * 1024;

    private static final Object LOCK = new Object();
    private static ByteArrayOutputStream current; // the running invocation's log; null between requests

    private Output() {}

    /** Routes System.out and System.err before the function's classes are loaded. */
    static void install(int responseFd) {
        FileDescriptor stdout = responseFd == 1 ? FileDescriptor.err : FileDescriptor.out;
        System.setOut(new PrintStream(new Routed(new FileOutputStream(stdout)), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Routed(new FileOutputStream(FileDescriptor.err)), true,
                StandardCharsets.UTF_8));
    }

    /** Starts capturing for a new invocation. */
    static void begin() {
        synchronized (LOCK) {
            current = new ByteArrayOutputStream();
        }
    }

    /** Ends the invocation's capture and returns its log. */
    static String end() {
        synchronized (LOCK) {
            String log = current.toString(StandardCharsets.UTF_8);
            current = null;
            return log;
        }
    }

    /** Appends to the invocation's log, or to stderr when none runs (the logger between requests). */
    static void log(byte[] bytes) {
        synchronized (LOCK) {
            if (current != null) {
                current.writeBytes(bytes);
                return;
            }
        }
        System.err.write(bytes, 0, bytes.length);
    }

    /** A descriptor whose writes are diverted into the running invocation's log. */
    private static final class Routed extends OutputStream {
        private final OutputStream fd;

        Routed(OutputStream fd) {
            this.fd = fd;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (LOCK) {
                if (current != null) {
                    current.write(b, off, len);
                    return;
                }
            }
            fd.write(b, off, len);
        }
    }
}
