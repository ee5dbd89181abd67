package dev.spice.sys;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The lines of a child's output stream, read by a daemon thread, so that callers can wait for
 * a line with a deadline. Waiting too long throws {@link LineTimeoutException}, which lists the
 * lines seen so far.
 */
public final class LineQueue {
    private static final String EOF = new String("<end of file>");
    private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();

    public LineQueue(InputStream in, String name) {
        Thread.ofPlatform().daemon().name("lines-" + name).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    queue.add(line);
                }
            } catch (IOException e) {
                // the stream failed: what was read stays readable, then end of file
            }
            queue.add(EOF);
        });
    }

    /** The next line, or null at end of file. */
    public String next(Duration timeout) {
        return next(System.nanoTime() + timeout.toNanos());
    }

    /** The next line that matches {@code wanted}; end of file before it is an error too. */
    public String await(Predicate<String> wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String line; (line = next(deadline)) != null;) {
            if (wanted.test(line)) {
                return line;
            }
        }
        throw new LineTimeoutException("end of output before the expected line; lines: " + seen());
    }

    public String awaitPrefix(String prefix, Duration timeout) {
        return await(l -> l.startsWith(prefix), timeout);
    }

    /** Every line until end of file. */
    public List<String> rest(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> result = new ArrayList<>();
        for (String line; (line = next(deadline)) != null;) {
            result.add(line);
        }
        return result;
    }

    /** Every line returned so far. */
    public synchronized List<String> seen() {
        return List.copyOf(seen);
    }

    private String next(long deadline) {
        String line;
        try {
            line = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LineTimeoutException("interrupted; lines: " + seen());
        }
        if (line == null) {
            throw new LineTimeoutException("timed out waiting for output; lines: " + seen());
        }
        if (line == EOF) {
            queue.add(EOF);
            return null;
        }
        synchronized (this) {
            seen.add(line);
        }
        return line;
    }

    /** No line came in time. */
    public static final class LineTimeoutException extends RuntimeException {
        public LineTimeoutException(String message) {
            super(message);
        }
    }
}
