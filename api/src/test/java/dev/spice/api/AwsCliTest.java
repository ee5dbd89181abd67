package dev.spice.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's AWS CLI (scripts/setup.sh installs it) against the server, as a Lambda user deploys:
 * create-function with a zip, wait function-active, invoke, publish, update, delete.
 */
class AwsCliTest {
    /** Debian's package, not whatever else may be first on the PATH. */
    static final Path AWS = Path.of("/usr/bin/aws");

    @TempDir
    static Path temp;

    static RunningServer api;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(Files.isExecutable(AWS), "Debian's awscli is not installed (scripts/setup.sh)");
        api = RunningServer.start(temp.resolve("state"));
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    record Run(int exit, String out, String err) {
        JsonNode json() throws IOException {
            return Json.MAPPER.readTree(out);
        }
    }

    /** Runs {@code aws lambda ARGS...} with dummy credentials and no configuration of this machine's user. */
    private static Run lambda(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(AWS.toString(), "lambda"));
        command.addAll(List.of(args));
        command.addAll(List.of("--endpoint-url", api.server.uri().toString(), "--no-cli-pager", "--output", "json"));
        ProcessBuilder pb = new ProcessBuilder(command).directory(temp.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
        pb.environment().putAll(Map.of("AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
                "AWS_DEFAULT_REGION", "us-east-1", "AWS_CONFIG_FILE", temp.resolve("aws-config").toString(),
                "AWS_SHARED_CREDENTIALS_FILE", temp.resolve("aws-credentials").toString(), "HOME", temp.toString()));
        Path out = Files.createTempFile(temp, "aws", ".out");
        Path err = Files.createTempFile(temp, "aws", ".err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new AssertionError("aws " + String.join(" ", args) + " did not finish");
            }
        } finally {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static Run ok(String... args) throws Exception {
        Run r = lambda(args);
        assertThat(r.exit()).as("aws lambda %s: %s", String.join(" ", args), r.err()).isZero();
        return r;
    }

    @Test
    void createWaitInvokePublishUpdateDelete() throws Exception {
        Path zip = temp.resolve("f.zip");
        Files.write(zip, TestFunctions.zip(TestFunctions.versioned(1)));

        JsonNode created = ok("create-function", "--function-name", "cli", "--runtime", "python3.11", "--handler",
                "app.handler", "--role", "arn:aws:iam::000000000000:role/lambda", "--zip-file", "fileb://" + zip,
                "--environment", "Variables={GREETING=Howdy}").json();
        assertThat(created.path("State").asText()).isEqualTo("Pending");
        assertThat(created.path("FunctionArn").asText()).isEqualTo("arn:aws:lambda:us-east-1:000000000000:function:cli");

        ok("wait", "function-active", "--function-name", "cli");
        JsonNode config = ok("get-function-configuration", "--function-name", "cli").json();
        assertThat(config.path("State").asText()).isEqualTo("Active");
        assertThat(config.path("Runtime").asText()).isEqualTo("python3.11");
        assertThat(config.path("CodeSize").asLong()).isEqualTo(Files.size(zip));

        Path answer = temp.resolve("answer.json");
        JsonNode invoked = ok("invoke", "--function-name", "cli", "--cli-binary-format", "raw-in-base64-out",
                "--payload", "{\"from\": \"cli\"}", answer.toString()).json();
        assertThat(invoked.path("StatusCode").asInt()).isEqualTo(200);
        assertThat(invoked.path("ExecutedVersion").asText()).isEqualTo("$LATEST");
        JsonNode payload = Json.MAPPER.readTree(Files.readString(answer));
        assertThat(payload.path("version").asInt()).isEqualTo(1);
        assertThat(payload.path("greeting").asText()).isEqualTo("Howdy");
        assertThat(payload.path("event").path("from").asText()).isEqualTo("cli");

        assertThat(ok("publish-version", "--function-name", "cli").json().path("Version").asText()).isEqualTo("1");
        Files.write(zip, TestFunctions.zip(TestFunctions.versioned(2)));
        ok("update-function-code", "--function-name", "cli", "--zip-file", "fileb://" + zip);
        ok("wait", "function-updated", "--function-name", "cli");
        ok("invoke", "--function-name", "cli", answer.toString());
        assertThat(Json.MAPPER.readTree(Files.readString(answer)).path("version").asInt()).isEqualTo(2);
        ok("invoke", "--function-name", "cli", "--qualifier", "1", answer.toString());
        assertThat(Json.MAPPER.readTree(Files.readString(answer)).path("version").asInt()).isEqualTo(1);

        JsonNode listed = ok("list-functions").json();
        assertThat(listed.path("Functions")).extracting(f -> f.path("FunctionName").asText()).containsExactly("cli");

        ok("delete-function", "--function-name", "cli");
        Run missing = lambda("get-function", "--function-name", "cli");
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("ResourceNotFoundException").contains("Function not found");
    }
}
