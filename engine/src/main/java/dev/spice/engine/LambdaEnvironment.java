package dev.spice.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/** The environment every function gets, whatever its language: AWS Lambda's variables. */
final class LambdaEnvironment {
    private LambdaEnvironment() {}

    /**
     * The base environment, then {@code language}'s own variables, then the manifest's entries,
     * which win.
     */
    static Map<String, String> of(Deployment d, Map<String, String> language) {
        FunctionManifest m = d.manifest();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("LANG", "C.UTF-8");
        env.put("HOME", "/tmp");
        env.putAll(language);
        env.put("AWS_LAMBDA_FUNCTION_NAME", m.name());
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(m.memoryMb()));
        env.put("AWS_LAMBDA_FUNCTION_TIMEOUT", Integer.toString(m.timeoutS()));
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_EXECUTION_ENV", "Spice_" + m.runtime());
        env.put("LAMBDA_TASK_ROOT", d.codeDir().toString());
        env.put("SPICE_FUNCTION_VERSION", d.info().version());
        env.putAll(m.env());
        return env;
    }
}
