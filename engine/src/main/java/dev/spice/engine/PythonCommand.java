package dev.spice.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Python functions: Debian's python3 running the shim {@code runtimes/python/spice_runtime.py}. */
final class PythonCommand implements RuntimeCommand {
    static final String PYTHON = "/usr/bin/python3";

    private final Path shim;

    PythonCommand(Path runtimesDir) {
        this.shim = ShimFiles.install("runtime/python/spice_runtime.py", runtimesDir, "python");
    }

    @Override
    public List<String> argv(Deployment d) {
        return List.of(PYTHON, "-B", shim.toString(), d.manifest().handler(), d.codeDir().toString());
    }

    /** No bytecode files: the code directory is read-only in the sandbox. */
    @Override
    public Map<String, String> environment(Deployment d) {
        return LambdaEnvironment.of(d, Map.of("PYTHONDONTWRITEBYTECODE", "1"));
    }
}
