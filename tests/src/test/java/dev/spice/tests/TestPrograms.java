package dev.spice.tests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Where the test programs are: the C ones built by `make`, Debian's python3, our scripts. */
final class TestPrograms {
    static final String PYTHON = "/usr/bin/python3";

    private TestPrograms() {}

    static String c(String name) {
        Path p = Path.of(System.getProperty("spice.testprogs", "target/testprogs"), name);
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("test program " + p + " was not built (mvn builds it with make)");
        }
        return p.toAbsolutePath().toString();
    }

    static String resource(String name) {
        return Path.of("src/test/resources", name).toAbsolutePath().toString();
    }

    /** A small, fixed environment, so that processes do not depend on the test runner's. */
    static Map<String, String> environment(String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("PATH", "/usr/bin:/bin", "LANG", "C.UTF-8"));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }
}
