package dev.spice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The benchmark harness itself, on hello in --quick mode without CRIU: shape of the results, correct answers. */
class BenchHarnessTest {
    static final List<String> MODES = List.of("warm", "boot", "spice-hot", "spice-cold");

    @TempDir
    Path out;

    @Test
    void quickRunOnHelloWritesCompleteResults() throws Exception {
        int code = new CommandLine(new BenchMain()).execute("--quick", "--functions", "hello", "--modes",
                String.join(",", MODES), "--functions-dir", "../functions", "--out", out.toString());
        assertThat(code).isZero();

        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertThat(results.get("runs").asInt()).isEqualTo(3);
        assertThat(results.get("machine").asText()).contains("vCPU", "GiB RAM", "Linux", "(steal)", "a page fault");
        assertThat(results.get("modes")).extracting(JsonNode::asText).containsExactlyElementsOf(MODES);
        assertThat(results.get("functions")).hasSize(1);
        JsonNode hello = results.get("functions").get(0);
        assertThat(hello.get("name").asText()).isEqualTo("hello");
        assertThat(hello.get("image_bytes").asLong()).isPositive();
        for (String mode : MODES) {
            JsonNode s = hello.get("summary").get(mode);
            assertThat(s.get("runs").asInt()).as(mode).isEqualTo(3);
            assertThat(s.get("all_verified").asBoolean()).as(mode + " answers are correct").isTrue();
            assertThat(s.get("median_ms").asDouble()).as(mode).isPositive();
            assertThat(s.get("p90_ms").asDouble()).as(mode).isGreaterThanOrEqualTo(s.get("median_ms").asDouble());
            assertThat(s.get("pss_bytes").asLong()).as(mode).isPositive();
        }
        assertThat(hello.get("summary").get("spice-hot").get("restore_ms").asDouble()).isPositive();
        assertThat(hello.get("summary").get("boot").get("boot_ms").asDouble()).isPositive();
        assertThat(hello.get("measurements")).hasSize(12).allSatisfy(m -> {
            assertThat(m.get("verified").asBoolean()).isTrue();
            assertThat(m.get("path").asText()).isEqualTo(switch (m.get("mode").asText()) {
                case "warm" -> "warm";
                case "boot" -> "booted";
                default -> "restored";
            });
        });
        assertThat(results.get("disk_read_mb_per_s").asLong()).isPositive();
        assertThat(hello.get("working_set_pages").asLong()).isPositive();
        assertThat(hello.get("floor_ms").asDouble()).isGreaterThan(hello.get("summary").get("warm").get("median_ms").asDouble());
        assertThat(hello.get("summary").get("spice-cold").get("minor_faults").asLong()).isNotNegative();

        JsonNode memory = results.get("memory");
        assertThat(memory).extracting(m -> m.get("instances").asInt() + " " + m.get("path").asText())
                .containsExactly("1 restored", "1 booted", "4 restored", "4 booted");
        assertThat(memory).allSatisfy(m -> {
            assertThat(m.get("verified").asBoolean()).isTrue();
            assertThat(m.get("pss_bytes_per_instance").asLong()).isPositive()
                    .isLessThanOrEqualTo(m.get("rss_bytes_per_instance").asLong());
            assertThat(m.get("pss_bytes_total").asLong()).isGreaterThanOrEqualTo(m.get("pss_bytes_per_instance").asLong());
        });

        JsonNode ablation = results.get("ablation");
        assertThat(ablation).extracting(a -> a.get("step").asText())
                .containsExactly("lazy", "+layout", "+prefetch", "+pre-copy", "+pinned", "-sandbox");
        assertThat(ablation).allSatisfy(a -> {
            for (String mode : List.of("spice-hot", "spice-cold")) {
                assertThat(a.get("summary").get(mode).get("runs").asInt()).isEqualTo(2);
                assertThat(a.get("summary").get(mode).get("all_verified").asBoolean()).isTrue();
            }
        });
        assertThat(Files.readString(out.resolve("results.md"))).contains("| hello |", "spice-cold", "floor",
                "Memory elasticity", "| hello | +pre-copy |", "| hello | +pinned |", "Targets", "| overall |");
        assertThat(Files.readString(out.resolve("results.md")).lines().filter(l -> l.startsWith("| hello | met")
                || l.startsWith("| hello | missed") || l.startsWith("| hello | - |"))).as("hello's target line").hasSize(1);
        assertThat(Files.readString(out.resolve("chart.svg"))).startsWith("<svg").contains("hello", "spice-hot");
    }
}
