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

    private volatile String instance;

    private LogDrain(String instance) {
        this.instance = instance;
    }

    /** Drains {@code in} until its end, then closes it; lines are logged under {@code instance}. */
    static LogDrain start(InputStream in, String instance) {
        LogDrain drain = new LogDrain(instance);
        Thread.ofPlatform().daemon().name("drain-" + instance).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    LOG.info("[{}] {}", drain.instance, line);
                }
            } catch (IOException e) {
                LOG.debug("[{}] output closed: {}", drain.instance, e.getMessage());
            }
        });
        return drain;
    }

    /** Logs what follows under another name (a zygote's drain, once it becomes an instance). */
    void rename(String name) {
        instance = name;
    }
}
