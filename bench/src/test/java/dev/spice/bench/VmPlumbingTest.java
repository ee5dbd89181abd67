package dev.spice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spice.engine.RuntimeSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM modes' plumbing without a guest: working-set files, page runs, QEMU command lines, the guest launcher. */
class VmPlumbingTest {
    @TempDir
    Path dir;

    @Test
    void workingSetsSurviveTheFileAndPrefetchExactlyTheirPages() throws IOException {
        for (long seed = 1; seed <= 50; seed++) {
            Random random = new Random(seed);
            TreeSet<Long> pages = new TreeSet<>();
            int n = random.nextInt(400);
            for (int i = 0; i < n; i++) {
                pages.add((long) random.nextInt(random.nextBoolean() ? 64 : 5000));
            }
            long[] sorted = pages.stream().mapToLong(Long::longValue).toArray();
            PageRuns runs = PageRuns.of(sorted);
            assertThat(runs.pages()).as("seed %d", seed).isEqualTo(sorted.length);
            List<Long> expanded = new ArrayList<>();
            runs.runs().forEach(r -> {
                for (long p = r.first(); p < r.end(); p++) {
                    expanded.add(p);
                }
            });
            assertThat(expanded).as("seed %d", seed).containsExactlyElementsOf(pages);
            Path file = dir.resolve("ws-" + seed);
            runs.write(file);
            assertThat(PageRuns.read(file)).as("seed %d", seed).isEqualTo(runs);

            Path memory = dir.resolve("memory-" + seed);
            Files.write(memory, new byte[(random.nextInt(5000) + 1) * PageRuns.PAGE]);
            PageRuns spans = runs.spans();
            assertThat(pages).as("seed %d: spans cover every page", seed).allMatch(p -> spans.runs().stream()
                    .anyMatch(r -> p >= r.first() && p < r.end()));
            for (int i = 1; i < spans.runs().size(); i++) {
                assertThat(spans.runs().get(i).first() - spans.runs().get(i - 1).end()).as("seed %d: gap", seed)
                        .isGreaterThan(PageRuns.MERGE_GAP);
            }
            assertThat(spans.pages() - runs.pages()).as("seed %d: spans add only the gaps they close", seed)
                    .isLessThanOrEqualTo(PageRuns.MERGE_GAP * Math.max(0, runs.runs().size() - spans.runs().size()));
            long filePages = Files.size(memory) / PageRuns.PAGE;
            long inFile = spans.runs().stream().mapToLong(r -> Math.max(0, Math.min(r.end(), filePages) - r.first()))
                    .sum();
            assertThat(runs.prefetch(memory)).as("seed %d: bytes read", seed).isEqualTo(inFile * PageRuns.PAGE);
        }
    }

    @Test
    void malformedWorkingSetsAreRefusedWithTheirLine() {
        String h = PageRuns.HEADER + "\n";
        assertThatThrownBy(() -> PageRuns.parse("nonsense\n1 2\n")).hasMessageContaining("not a working-set file");
        assertThatThrownBy(() -> PageRuns.parse(h + "1 2\n3 1\n")).hasMessageContaining("line 3");
        assertThatThrownBy(() -> PageRuns.parse(h + "5 2\n1 1\n")).hasMessageContaining("line 3");
        assertThatThrownBy(() -> PageRuns.parse(h + "1 0\n")).hasMessageContaining("line 2");
        assertThatThrownBy(() -> PageRuns.parse(h + "1\n")).hasMessageContaining("line 2");
        assertThatThrownBy(() -> PageRuns.parse(h + "x 1\n")).hasMessageContaining("line 2");
        assertThat(PageRuns.parse(h).pages()).isZero();
    }

    @Test
    void bootSharesTheMemoryFileAndRestoreMapsItPrivateWithoutAKernel() {
        VmGuest guest = new VmGuest(Path.of("/g/vmlinuz"), Path.of("/g/initrd.img"), Path.of("/g/rootfs.ext4"));
        for (Accelerator a : Accelerator.values()) {
            QemuCommand q = new QemuCommand(Path.of("/usr/bin/qemu-system-x86_64"), a, guest, Path.of("/w/code.ext4"),
                    Path.of("/w/memory"), 512L << 20, a == Accelerator.TCG ? 10 : 0);
            List<String> boot = q.boot(Path.of("/w/console.log")), restore = q.restore();
            assertThat(String.join(" ", boot)).contains("mem-path=/w/memory,share=on", "-kernel /g/vmlinuz",
                    "-initrd /g/initrd.img", "init=/sbin/spice-vm-init", "-m 512M", "socket,id=channel,fd=3",
                    "socket,id=monitor,fd=4", "file=/g/rootfs.ext4,if=none,id=root,format=raw,readonly=on",
                    "-accel " + a.name().toLowerCase());
            assertThat(String.join(" ", restore)).contains("mem-path=/w/memory,share=off", "-incoming defer", " -S")
                    .doesNotContain("-kernel", "-initrd");
            assertThat(restore.getFirst()).isEqualTo(a == Accelerator.TCG ? "/usr/bin/nice" : "/usr/bin/qemu-system-x86_64");
        }
    }

    @Test
    void theLauncherRunsTheSameShimWithGuestPathsAndQuotedEnvironment() throws IOException {
        Path code = Files.createDirectories(dir.resolve("code"));
        Path shim = Files.writeString(dir.resolve("spice_runtime.py"), "# shim");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LAMBDA_TASK_ROOT", code.toString());
        env.put("GREETING", "it's $HOME");
        RuntimeSpec spec = new RuntimeSpec(code, List.of("/usr/bin/python3", "-B", shim.toString(), "app.handler",
                code.toString()), env, List.<JsonNode>of());
        Map<Path, String> staged = new LinkedHashMap<>();
        String launch = CodeDisk.launcher(spec, staged);
        assertThat(staged).containsExactly(Map.entry(shim, "/spice/bin/spice_runtime.py"));
        assertThat(launch).contains("export LAMBDA_TASK_ROOT='/spice/code'\n", "export GREETING='it'\\''s $HOME'\n",
                "exec '/usr/bin/python3' '-B' '/spice/bin/spice_runtime.py' 'app.handler' '/spice/code'\n");
    }

    @Test
    void vmModesAreOptInAndNameTheirAccelerator() {
        assertThat(Mode.all()).noneMatch(Mode::vm);
        assertThat(Mode.parse("vm-ws")).isEqualTo(Mode.VM_WS);
        assertThat(Mode.VM_COLD.header()).startsWith("vm-cold (QEMU/").endsWith(")");
        assertThat(Mode.VM_COLD.cold()).isTrue();
        assertThat(Mode.VM_HOT.cold()).isFalse();
        assertThat(Mode.VM_HOT.vm()).isTrue();
    }
}
