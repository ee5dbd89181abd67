package dev.spice.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spice.cli.Main;
import dev.spice.sys.Processes;
import dev.spice.sys.proc.ProcStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spice commands as a user runs them: snapshot, inspect, restore --detach --pid-file. */
class CommandLineTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void reapDetachedInits() {
        Processes.becomeSubreaper();
    }

    private record Run(int code, String out, String err) {}

    private static Run spice(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void snapshotInspectAndDetachedRestore() throws Exception {
        Path image = dir.resolve("cli.img");
        int originalPid;
        // A long sleep: the restored process writes nothing to the test runner's stdout before we kill it.
        try (TestProcess p = RichState.start(RichState.dataFile(dir), 600_000)) {
            originalPid = p.pid;
            Run snap = spice("snapshot", "--pid", Integer.toString(p.pid), "--image", image.toString());
            assertThat(snap.code()).as(snap.err()).isZero();
            assertThat(snap.out()).startsWith("captured process " + p.pid + " into " + image);
        }

        Run inspect = spice("inspect", "--image", image.toString(), "--verify");
        assertThat(inspect.code()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("page data verified", "pid " + originalPid + " \"richstate\"",
                "resumes by reissuing syscall 35", "[vdso]", "(stack, copied)", "stdio (provided at restore)",
                "data.bin (flags 02100000, offset 12345)", "working set none recorded");

        Path pidFile = dir.resolve("restored.pid");
        Run restore = spice("restore", "--image", image.toString(), "--detach", "--pid-file", pidFile.toString(),
                "--prefetch", "none");
        assertThat(restore.code()).as(restore.err()).isZero();
        int pid = Integer.parseInt(Files.readString(pidFile).strip());
        int init = (int) ProcStatus.read(pid).number("PPid");
        try {
            long[] nspid = ProcStatus.read(pid).numbers("NSpid");
            assertThat(nspid).as("its own PID namespace, at its original PID").containsExactly(pid, originalPid);
            assertThat(Files.readString(Path.of("/proc", Integer.toString(pid), "comm")).strip()).isEqualTo("richstate");
        } finally {
            Processes.kill(pid, Processes.SIGKILL);
            Processes.waitFor(init);
        }
    }

    @Test
    void deployInvokeAndListFunctionsWithoutAServer() throws Exception {
        String state = dir.resolve("state").toString();
        Run deploy = spice("deploy", "../functions/hello", "--local", "--state-dir", state);
        assertThat(deploy.code()).as(deploy.err()).isZero();
        assertThat(deploy.out()).startsWith("deployed hello (version ").contains("snapshot ");
        Path payload = Files.writeString(dir.resolve("event.json"), "{\"name\":\"file\"}");
        Run invoke = spice("invoke", "hello", "--payload", "@" + payload, "--cold", "--log", "--local", "--state-dir",
                state);
        assertThat(invoke.code()).as(invoke.err()).isZero();
        assertThat(invoke.out()).contains("\"message\":\"Hello, file!\"");
        assertThat(invoke.err()).contains("START RequestId", "greeting file", "spice: path restored: total",
                "process creation", "memory mapping", "first response");
        Run list = spice("functions", "--local", "--state-dir", state);
        assertThat(list.out()).contains("hello", "python3", "app.handler", "128 MB");
        Run inspect = spice("inspect", "--image", state + "/functions/hello/current/snapshot.img");
        assertThat(inspect.code()).as(inspect.err()).isZero();
        assertThat(inspect.out()).containsPattern("working set \\d+ pages \\(.*\\), \\d+ written; read from the image "
                + "\\d+, from \\d+ file mappings \\d+, zero \\d+").contains("/usr/bin/python3");
        Run missing = spice("invoke", "nope", "--local", "--state-dir", state);
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("spice: function not found: nope\n");
    }

    @Test
    void wrongArgumentsExitWithUsageError() {
        Run r = spice("snapshot", "--image", dir.resolve("x.img").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required option: '--pid=<pid>'");
        Run pidFileAlone = spice("restore", "--image", "x.img", "--pid-file", "p");
        assertThat(pidFileAlone.code()).isEqualTo(2);
        assertThat(pidFileAlone.err()).contains("--pid-file needs --detach");
        Run badPrefetch = spice("restore", "--image", "x.img", "--prefetch", "record");
        assertThat(badPrefetch.code()).isEqualTo(2);
        assertThat(badPrefetch.err()).contains("expected none, read or full, not 'record'");
    }
}
