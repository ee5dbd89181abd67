package dev.spice.tests;

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

/** The lines a process writes to one stream, collected by a daemon thread. */
final class Lines {
    private static final String EOF = new String("<eof>");
    private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();

    Lines(InputStream in, String name) {
        Thread.ofPlatform().daemon().name("lines-" + name).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    queue.add(line);
                }
            } catch (IOException e) {
                // the stream was closed under us: treat as end of file
            }
            queue.add(EOF);
        });
    }

    /** Waits for the next line that matches; fails the test on timeout or end of file. */
    String await(Predicate<String> wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = next(deadline);
            if (line == null) {
                throw new AssertionError("no matching line within " + timeout + "; lines so far: " + seen);
            }
            if (wanted.test(line)) {
                return line;
            }
        }
    }

    String awaitPrefix(String prefix, Duration timeout) {
        return await(l -> l.startsWith(prefix), timeout);
    }

    /** Every line until end of file. */
    List<String> rest(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> result = new ArrayList<>();
        for (String line; (line = next(deadline)) != null;) {
            result.add(line);
        }
        return result;
    }

    synchronized List<String> seen() {
        return List.copyOf(seen);
    }

    private String next(long deadline) {
        try {
            String line = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("timed out waiting for output; lines so far: " + seen());
            }
            if (line == EOF) {
                queue.add(EOF);
                return null;
            }
            synchronized (this) {
                seen.add(line);
            }
            return line;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }
}
