package dev.spice.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How an instance of a function is started: the runtime shim (a file in the state directory,
 * named by its content hash, so an instance restored later finds the very file it was booted
 * from), the interpreter, and the environment.
 */
final class RuntimeCommand {
    static final String PYTHON = "/usr/bin/python3";
    private static final String SHIM = "runtime/python/spice_runtime.py";

    private final Path shim;

    RuntimeCommand(Path runtimesDir) {
        this.shim = install(runtimesDir);
    }

    /** The directory of the shim, which every sandbox binds. */
    Path shimDir() {
        return shim.getParent();
    }

    List<String> argv(Deployment d) {
        return List.of(PYTHON, "-B", shim.toString(), d.manifest().handler(), d.codeDir().toString());
    }

    /** The function's environment: AWS Lambda's variables, then the manifest's own entries. */
    Map<String, String> environment(Deployment d) {
        FunctionManifest m = d.manifest();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("LANG", "C.UTF-8");
        env.put("HOME", "/tmp");
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("AWS_LAMBDA_FUNCTION_NAME", m.name());
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(m.memoryMb()));
        env.put("AWS_LAMBDA_FUNCTION_TIMEOUT", Integer.toString(m.timeoutS()));
        env.put("AWS_REGION", "us-east-1");
        env.put("LAMBDA_TASK_ROOT", d.codeDir().toString());
        env.put("SPICE_FUNCTION_VERSION", d.info().version());
        env.putAll(m.env());
        return env;
    }

    private static Path install(Path dir) {
        try (InputStream in = RuntimeCommand.class.getResourceAsStream(SHIM)) {
            if (in == null) {
                throw new IllegalStateException("the python runtime shim is missing from the build");
            }
            byte[] bytes = in.readAllBytes();
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
            Path target = dir.resolve("python-" + hash).resolve("spice_runtime.py");
            if (!Files.exists(target)) {
                Files.createDirectories(target.getParent());
                Path temp = Files.createTempFile(target.getParent(), ".shim", ".tmp");
                Files.write(temp, bytes);
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--")); // read by sandboxed instances
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the runtime shim in " + dir, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
