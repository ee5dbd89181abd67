package dev.spice.engine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads what an instance writes to its stdout or stderr outside of invocations (native code,
 * interpreter warnings, a crash) and logs it, so that the pipe never fills up. A platform
 * thread: it blocks in a native read, which would pin a virtual thread's carrier.
 */
final class LogDrain {
    private static final Logger LOG = LoggerFactory.getLogger("spice.function");

    private LogDrain() {}

    static void start(InputStream in, String instance) {
        Thread.ofPlatform().daemon().name("drain-" + instance).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    LOG.info("[{}] {}", instance, line);
                }
            } catch (IOException e) {
                LOG.debug("[{}] output closed: {}", instance, e.getMessage());
            }
        });
    }
}
