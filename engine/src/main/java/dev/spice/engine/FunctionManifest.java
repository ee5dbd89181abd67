package dev.spice.engine;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A function's manifest, {@code spice.yaml} in its directory. Unknown keys are errors, so that a
 * misspelt setting does not go unnoticed.
 *
 * @param warmup      events invoked before the snapshot is taken
 * @param keepAliveS  seconds an idle instance is kept; null for the engine's default
 * @param cpu         cores an instance may use (a CFS quota, e.g. 0.5); null for no quota and a
 *                    weight that follows memory_mb as on Lambda ({@link CgroupLimits#of})
 * @param ioMbps      MiB/s an instance may read and write on each disk; null for no limit
 * @param network     "loopback" (the default: a network namespace of its own with only the
 *                    loopback interface) or "host" (the host's network)
 */
public record FunctionManifest(
        String name,
        String runtime,
        String handler,
        Map<String, String> env,
        @JsonProperty("memory_mb") int memoryMb,
        @JsonProperty("timeout_s") int timeoutS,
        List<JsonNode> warmup,
        @JsonProperty("max_concurrency") int maxConcurrency,
        @JsonProperty("keep_alive_s") Integer keepAliveS,
        Double cpu,
        @JsonProperty("io_mbps") Integer ioMbps,
        String network) {

    public static final String FILE = "spice.yaml";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public FunctionManifest {
        env = env == null ? Map.of() : Map.copyOf(env);
        warmup = warmup == null ? List.of() : List.copyOf(warmup);
        memoryMb = memoryMb == 0 ? 128 : memoryMb;
        timeoutS = timeoutS == 0 ? 3 : timeoutS;
        maxConcurrency = maxConcurrency == 0 ? 4 : maxConcurrency;
        network = network == null ? LOOPBACK : network;
    }

    public static final String LOOPBACK = "loopback", HOST = "host";

    /** The language its runtime names; only for a checked manifest. */
    public Language language() {
        return Language.of(runtime).orElseThrow();
    }

    /** Whether instances share the host's network instead of having only loopback. */
    public boolean hostNetwork() {
        return HOST.equals(network);
    }

    /** Reads and checks {@code dir/spice.yaml}; every problem is a {@link DeployException}. */
    public static FunctionManifest load(Path dir) {
        Path file = dir.resolve(FILE);
        FunctionManifest m;
        try {
            m = YAML.readValue(Files.readString(file), FunctionManifest.class);
        } catch (NoSuchFileException e) {
            throw new DeployException(dir + " has no " + FILE);
        } catch (UnrecognizedPropertyException e) {
            throw new DeployException(file + ": unknown key '" + e.getPropertyName() + "'");
        } catch (JacksonException e) {
            throw new DeployException(file + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new DeployException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (m == null) {
            throw new DeployException(file + " is empty");
        }
        m.check(file + ": ");
        return m;
    }

    /** This manifest, if every value is valid (for manifests made without a file); otherwise a {@link DeployException}. */
    public FunctionManifest checked() {
        check("");
        return this;
    }

    private void check(String where) {
        require(name != null && NAME.matcher(name).matches(), where,
                "'name' must be 1-64 letters, digits, '-' or '_'");
        Language language = Language.of(runtime).orElse(null);
        require(language != null, where, "'runtime' must be one of " + Language.names());
        require(language.validHandler(handler), where, "'handler' must be " + language.handlerForm());
        require(memoryMb >= 32 && memoryMb <= 10240, where, "'memory_mb' must be between 32 and 10240");
        require(timeoutS >= 1 && timeoutS <= 900, where, "'timeout_s' must be between 1 and 900");
        require(maxConcurrency >= 1 && maxConcurrency <= 1000, where, "'max_concurrency' must be between 1 and 1000");
        require(keepAliveS == null || keepAliveS >= 0, where, "'keep_alive_s' must not be negative");
        require(cpu == null || cpu >= 0.01 && cpu <= 64, where, "'cpu' must be between 0.01 and 64 (cores)");
        require(ioMbps == null || ioMbps >= 1, where, "'io_mbps' must be at least 1 (MiB/s)");
        require(network.equals(LOOPBACK) || network.equals(HOST), where, "'network' must be loopback or host");
        for (String key : env.keySet()) {
            require(!key.isEmpty() && !key.contains("=") && env.get(key) != null, where,
                    "'env' must map names to values");
        }
    }

    private static void require(boolean ok, String where, String message) {
        if (!ok) {
            throw new DeployException(where + message);
        }
    }
}
