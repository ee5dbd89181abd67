package dev.spice.engine;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The engines a test opens (a field with {@code @RegisterExtension}); each is closed after the
 * test, also the ones the test closed itself (closing is idempotent).
 */
final class OpenEngines implements AfterEachCallback {
    private final List<Engine> engines = new ArrayList<>();

    Engine open(EngineConfig config) {
        Engine e = Engine.open(config);
        engines.add(e);
        return e;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        engines.forEach(Engine::close);
        engines.clear();
    }
}
