package dev.spice.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Java functions: the JDK the engine runs on (JDK 25) running the shim jar
 * {@code runtimes/java} (docs/java-functions.md). Every Lambda Java runtime name (java8.al2,
 * java11 ... java25) runs on it: bytecode of older releases runs unchanged.
 *
 * <p>The JVM's flags aim at a fast start and a small snapshot that restores anywhere:
 * <ul>
 *   <li>{@code -XX:-UsePerfData}: no hsperfdata file, a shared mapping of /tmp/hsperfdata_USER/PID
 *       that would tie the image to a file named by the old PID (and cost a page of writes per tick);</li>
 *   <li>{@code -XX:+UseSerialGC}: one collector without threads of its own and the smallest heap
 *       bookkeeping (no remembered sets or card-table workers); after the prepare's full
 *       collections it shrinks the heap towards {@code -Xms} and returns the rest to the kernel;</li>
 *   <li>{@code -Xms16m}, {@code -Xmx} three quarters of memory_mb: a small heap at the snapshot
 *       (eden's dead objects are pages in the image), room to grow up to what the cgroup allows
 *       with the JVM's native memory (metaspace, code cache, thread stacks) beside it;</li>
 *   <li>{@code -Xshare:auto} and {@code -XX:ArchiveRelocationMode=0}: the JDK's default CDS
 *       archive, mapped from lib/server/classes.jsa at the address it was built for. Since JDK 20
 *       the JVM maps it at a random address by default and then patches every pointer in it,
 *       which turns the whole archive into written pages (10.7 MiB of them for json_parse,
 *       against 4.3 MiB unrelocated, measured after prepare). Mapped where it belongs, its pages
 *       stay clean file pages, which the image does not store and restored instances share
 *       through the page cache. Address randomisation is moot for a snapshot anyway: every
 *       instance restored from one image has the same layout;</li>
 *   <li>{@code -XX:CICompilerCount=2}: both JIT compilers, C1 and C2, one thread each whatever
 *       the host's CPU count (a fixed thread count to capture). Not Lambda's default of C1 only
 *       ({@code -XX:TieredStopAtLevel=1}), which trades peak speed for a short warm-up: here the
 *       warm-up events run before the snapshot, so the code C2 compiled for them is in the image
 *       and every restored instance starts at peak speed. matmul's N = 1100 takes 0.25-0.31 s
 *       with C2 against 5.0-5.6 s with C1 only (measured warm, booted by hand, on this host).
 *       A function can still choose C1 only with {@code JAVA_TOOL_OPTIONS} (below);</li>
 *   <li>{@code -XX:+DisableAttachMechanism}: no attach listener thread and no UNIX socket in /tmp;</li>
 *   <li>{@code -Xlog:disable -Xlog:all=warning:stderr}: the JVM's own warnings go to stderr, never
 *       into stdout;</li>
 *   <li>{@code --add-opens} of the packages whose static random generators the shim reseeds after a
 *       restore (and of jdk.internal.misc, whose Unsafe tells it which of them exist yet), and
 *       {@code --enable-native-access} for its malloc_trim(0) call at prepare.</li>
 * </ul>
 * The manifest's {@code JAVA_TOOL_OPTIONS} are passed as arguments after these (so they can
 * override them) rather than in the environment, where the JVM would read them before the
 * command line and lose every conflict. They are split at whitespace.
 */
final class JavaCommand implements RuntimeCommand {
    static final String TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";
    private static final String MAIN = "dev.spice.runtime.Main";

    private final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    private final Path shim;

    JavaCommand(Path runtimesDir) {
        this.shim = ShimFiles.install("runtime/java/spice-runtime-java.jar", runtimesDir, "java");
    }

    @Override
    public List<String> argv(Deployment d) {
        FunctionManifest m = d.manifest();
        List<String> argv = new ArrayList<>(List.of(java.toString(),
                "-XX:-UsePerfData", "-XX:+UseSerialGC",
                "-Xms16m", "-Xmx" + Math.max(16, m.memoryMb() * 3 / 4) + "m",
                "-Xshare:auto", "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0",
                "-XX:CICompilerCount=2",
                "-XX:+DisableAttachMechanism", "-Xlog:disable", "-Xlog:all=warning:stderr",
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                "--add-opens=java.base/sun.security.jca=ALL-UNNAMED",
                "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"));
        String own = m.env().get(TOOL_OPTIONS);
        if (own != null && !own.isBlank()) {
            argv.addAll(List.of(own.strip().split("\\s+")));
        }
        argv.addAll(List.of("-cp", shim.toString(), MAIN, m.handler(), d.codeDir().toString()));
        return argv;
    }

    @Override
    public Map<String, String> environment(Deployment d) {
        Map<String, String> env = new LinkedHashMap<>(LambdaEnvironment.of(d, Map.of(
                "JAVA_HOME", java.getParent().getParent().toString())));
        env.remove(TOOL_OPTIONS);
        return env;
    }
}
