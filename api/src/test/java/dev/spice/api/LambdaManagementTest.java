package dev.spice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.retry.backoff.FixedDelayBackoffStrategy;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.CreateFunctionResponse;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionConfigurationResponse;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LastUpdateStatus;
import software.amazon.awssdk.services.lambda.model.ListFunctionsResponse;
import software.amazon.awssdk.services.lambda.model.PublishVersionResponse;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.State;
import software.amazon.awssdk.services.lambda.waiters.LambdaWaiter;

/** The function lifecycle through the AWS SDK's Lambda client: what SDK-based deploy tools do. */
class LambdaManagementTest {
    @TempDir
    static Path temp;

    static RunningServer api;
    static LambdaClient lambda;
    static LambdaWaiter waiter;

    @BeforeAll
    static void start() {
        api = RunningServer.start(temp.resolve("state"));
        lambda = api.lambda();
        // The SDK's waiters poll every 5 s; deployments here take about one.
        waiter = LambdaWaiter.builder().client(lambda).overrideConfiguration(WaiterOverrideConfiguration.builder()
                .backoffStrategy(FixedDelayBackoffStrategy.create(Duration.ofMillis(100))).maxAttempts(600).build())
                .build();
    }

    @AfterAll
    static void stop() {
        if (lambda != null) {
            lambda.close();
        }
        if (api != null) {
            api.close();
        }
    }

    private static CreateFunctionResponse create(String name, byte[] zip, Map<String, String> env) {
        return lambda.createFunction(b -> b.functionName(name).runtime(Runtime.PYTHON3_11).handler("app.handler")
                .role("arn:aws:iam::000000000000:role/lambda").code(c -> c.zipFile(SdkBytes.fromByteArray(zip)))
                .environment(e -> e.variables(env)));
    }

    private static JsonNode invoke(String name, String qualifier) throws IOException {
        InvokeResponse r = lambda.invoke(b -> b.functionName(name).qualifier(qualifier)
                .payload(SdkBytes.fromUtf8String("{\"n\": 1}")));
        assertThat(r.functionError()).isNull();
        assertThat(r.executedVersion()).isEqualTo(qualifier == null ? "$LATEST" : qualifier);
        return Json.MAPPER.readTree(r.payload().asByteArray());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static List<Path> functionDirs() throws IOException {
        try (Stream<Path> s = Files.list(temp.resolve("state/functions"))) {
            return s.toList();
        }
    }

    @Test
    void aFunctionIsCreatedUpdatedPublishedInvokedAndDeleted() throws Exception {
        byte[] v1 = TestFunctions.zip(TestFunctions.versioned(1));
        CreateFunctionResponse created = create("lifecycle", v1,
                Map.of("GREETING", "Hi", "SPICE_WARMUP", "[{\"n\": 0}, {\"n\": 2}]"));
        assertThat(created.state()).isEqualTo(State.PENDING);
        assertThat(created.stateReasonCode().toString()).isEqualTo("Creating");
        assertThatThrownBy(() -> invoke("lifecycle", null)).isInstanceOf(ResourceConflictException.class)
                .hasMessageContaining("Pending");

        waiter.waitUntilFunctionActive(b -> b.functionName("lifecycle"));
        GetFunctionConfigurationResponse active = lambda.getFunctionConfiguration(b -> b.functionName("lifecycle"));
        assertThat(active.state()).isEqualTo(State.ACTIVE);
        assertThat(active.lastUpdateStatus()).isEqualTo(LastUpdateStatus.SUCCESSFUL);
        assertThat(active.runtime()).isEqualTo(Runtime.PYTHON3_11);
        assertThat(active.handler()).isEqualTo("app.handler");
        assertThat(active.codeSize()).isEqualTo(v1.length);
        assertThat(active.codeSha256()).isEqualTo(sha256(v1));
        assertThat(active.memorySize()).isEqualTo(128);
        assertThat(active.timeout()).isEqualTo(3);
        assertThat(api.engine.function("lifecycle").orElseThrow().snapshot()).isNotNull();
        JsonNode first = invoke("lifecycle", null);
        assertThat(first.path("version").asInt()).isEqualTo(1);
        assertThat(first.path("greeting").asText()).isEqualTo("Hi");

        byte[] v2 = TestFunctions.zip(TestFunctions.versioned(2));
        var code = lambda.updateFunctionCode(b -> b.functionName("lifecycle").zipFile(SdkBytes.fromByteArray(v2)));
        assertThat(code.lastUpdateStatus()).isEqualTo(LastUpdateStatus.IN_PROGRESS);
        assertThat(code.state()).isEqualTo(State.ACTIVE);
        assertThat(code.codeSha256()).isEqualTo(sha256(v2));
        assertThatThrownBy(() -> lambda.updateFunctionConfiguration(b -> b.functionName("lifecycle").timeout(5)))
                .isInstanceOf(ResourceConflictException.class).hasMessageContaining("in progress");
        waiter.waitUntilFunctionUpdated(b -> b.functionName("lifecycle"));
        assertThat(invoke("lifecycle", null).path("version").asInt()).isEqualTo(2);

        PublishVersionResponse published = lambda.publishVersion(b -> b.functionName("lifecycle"));
        assertThat(published.version()).isEqualTo("1");
        assertThat(published.functionArn()).endsWith(":function:lifecycle:1");
        assertThat(published.codeSha256()).isEqualTo(sha256(v2));
        assertThat(lambda.publishVersion(b -> b.functionName("lifecycle")).version())
                .as("nothing changed since version 1").isEqualTo("1");

        lambda.updateFunctionConfiguration(b -> b.functionName("lifecycle").memorySize(256).timeout(10)
                .environment(e -> e.variables(Map.of("GREETING", "Hello again"))));
        waiter.waitUntilFunctionUpdated(b -> b.functionName("lifecycle"));
        GetFunctionConfigurationResponse configured = lambda.getFunctionConfiguration(b -> b.functionName("lifecycle"));
        assertThat(configured.memorySize()).isEqualTo(256);
        assertThat(configured.timeout()).isEqualTo(10);
        assertThat(configured.environment().variables()).containsExactly(Map.entry("GREETING", "Hello again"));
        assertThat(configured.codeSha256()).as("the code is kept").isEqualTo(sha256(v2));
        assertThat(invoke("lifecycle", null).path("greeting").asText()).isEqualTo("Hello again");

        byte[] v3 = TestFunctions.zip(TestFunctions.versioned(3));
        lambda.updateFunctionCode(b -> b.functionName("lifecycle").zipFile(SdkBytes.fromByteArray(v3)));
        waiter.waitUntilFunctionUpdated(b -> b.functionName("lifecycle"));
        assertThat(lambda.publishVersion(b -> b.functionName("lifecycle")).version()).isEqualTo("2");

        JsonNode one = invoke("lifecycle", "1");
        assertThat(one.path("version").asInt()).isEqualTo(2);
        assertThat(one.path("greeting").asText()).isEqualTo("Hi");
        assertThat(invoke("lifecycle", "2").path("version").asInt()).isEqualTo(3);
        assertThat(invoke("lifecycle", "$LATEST").path("version").asInt()).isEqualTo(3);
        assertThat(lambda.getFunction(b -> b.functionName("lifecycle").qualifier("1")).configuration().memorySize())
                .isEqualTo(128);
        assertThat(lambda.listVersionsByFunction(b -> b.functionName("lifecycle")).versions())
                .extracting(FunctionConfiguration::version).containsExactly("$LATEST", "1", "2");
        assertThatThrownBy(() -> invoke("lifecycle", "7")).isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("function:lifecycle:7");

        lambda.deleteFunction(b -> b.functionName("lifecycle"));
        assertThatThrownBy(() -> lambda.getFunction(b -> b.functionName("lifecycle")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> invoke("lifecycle", "1")).isInstanceOf(ResourceNotFoundException.class);
        assertThat(functionDirs()).noneMatch(p -> p.getFileName().toString().contains("lifecycle"));
    }

    @Test
    void listFunctionsPagesThroughEveryFunction() throws Exception {
        List<String> names = List.of("page-a", "page-b", "page-c");
        for (String name : names) {
            create(name, TestFunctions.zip(TestFunctions.versioned(1)), Map.of());
        }
        for (String name : names) {
            waiter.waitUntilFunctionActive(b -> b.functionName(name));
        }

        ListFunctionsResponse page = lambda.listFunctions(b -> b.maxItems(2));
        assertThat(page.functions()).extracting(FunctionConfiguration::functionName).hasSize(2);
        assertThat(page.nextMarker()).isNotNull();
        ListFunctionsResponse rest = lambda.listFunctions(b -> b.maxItems(2).marker(page.nextMarker()));
        assertThat(Stream.concat(page.functions().stream(), rest.functions().stream())
                .map(FunctionConfiguration::functionName).filter(n -> n.startsWith("page-"))).containsExactlyElementsOf(names);
        assertThat(lambda.listFunctionsPaginator(b -> b.maxItems(1)).functions().stream()
                .map(FunctionConfiguration::functionName).filter(n -> n.startsWith("page-"))).containsExactlyElementsOf(names);
        assertThatThrownBy(() -> lambda.listFunctions(b -> b.maxItems(51)))
                .isInstanceOf(InvalidParameterValueException.class);
        names.forEach(n -> lambda.deleteFunction(b -> b.functionName(n)));
    }

    @Test
    void aSecondCreateOfOneNameIsAConflict() throws Exception {
        create("twice", TestFunctions.zip(TestFunctions.versioned(1)), Map.of());
        assertThatThrownBy(() -> create("twice", TestFunctions.zip(TestFunctions.versioned(2)), Map.of()))
                .isInstanceOf(ResourceConflictException.class).hasMessageContaining("Function already exist: twice")
                .satisfies(e -> assertThat(((ResourceConflictException) e).statusCode()).isEqualTo(409));
        waiter.waitUntilFunctionActive(b -> b.functionName("twice"));
        lambda.deleteFunction(b -> b.functionName("twice"));
    }

    @Test
    void aFunctionThatCannotStartIsFailed() throws Exception {
        create("broken", TestFunctions.zip("import no_such_module\n"), Map.of());
        GetFunctionConfigurationResponse c;
        do {
            Thread.sleep(100);
            c = lambda.getFunctionConfiguration(b -> b.functionName("broken"));
        } while (c.state() == State.PENDING);
        assertThat(c.state()).isEqualTo(State.FAILED);
        assertThat(c.stateReason()).contains("no_such_module");
        assertThatThrownBy(() -> invoke("broken", null)).isInstanceOf(ResourceConflictException.class)
                .hasMessageContaining("Failed");
        lambda.deleteFunction(b -> b.functionName("broken"));
        assertThatThrownBy(() -> lambda.getFunction(b -> b.functionName("broken")))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void badRequestsAreInvalidParameterValues() throws Exception {
        byte[] zip = TestFunctions.zip(TestFunctions.versioned(1));
        assertThatThrownBy(() -> lambda.createFunction(b -> b.functionName("ruby").runtime(Runtime.RUBY3_3)
                .handler("app.handler").role("r").code(c -> c.zipFile(SdkBytes.fromByteArray(zip)))))
                .isInstanceOf(InvalidParameterValueException.class)
                .hasMessageContaining("The runtime parameter of ruby3.3 is not supported by Spice yet");
        assertThatThrownBy(() -> lambda.createFunction(b -> b.functionName("big").runtime(Runtime.PYTHON3_11)
                .handler("app.handler").role("r").memorySize(20000).code(c -> c.zipFile(SdkBytes.fromByteArray(zip)))))
                .isInstanceOf(InvalidParameterValueException.class).hasMessageContaining("MemorySize");
        assertThatThrownBy(() -> lambda.createFunction(b -> b.functionName("s3").runtime(Runtime.PYTHON3_11)
                .handler("app.handler").role("r").code(c -> c.s3Bucket("bucket").s3Key("key"))))
                .isInstanceOf(InvalidParameterValueException.class).hasMessageContaining("ZipFile");
        assertThatThrownBy(() -> create("warm", zip, Map.of("SPICE_WARMUP", "not json")))
                .isInstanceOf(InvalidParameterValueException.class).hasMessageContaining("SPICE_WARMUP");
        assertThatThrownBy(() -> lambda.updateFunctionCode(b -> b.functionName("missing")
                .zipFile(SdkBytes.fromByteArray(zip)))).isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> lambda.deleteFunction(b -> b.functionName("missing")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThat(functionDirs()).noneMatch(p -> List.of("node", "big", "s3", "warm")
                .contains(p.getFileName().toString()));
    }

    @Test
    void anUnsafeZipIsRefusedAndLeavesNothing() throws Exception {
        byte[] escaping = TestFunctions.zip("../../escaped.py", "x = 1\n");
        assertThatThrownBy(() -> create("unsafe", escaping, Map.of()))
                .isInstanceOf(InvalidParameterValueException.class)
                .hasMessageContaining("the code package is refused: the entry name '../../escaped.py' contains '..'");
        byte[] bomb = TestFunctions.zip("zeros.txt", "0".repeat(251 << 20));
        assertThatThrownBy(() -> create("unsafe", bomb, Map.of()))
                .isInstanceOf(InvalidParameterValueException.class)
                .hasMessageContaining("it unpacks to more than the limit of 262144000 bytes");
        assertThat(functionDirs()).noneMatch(p -> p.getFileName().toString().contains("unsafe"));
        assertThat(temp.resolve("escaped.py")).doesNotExist();
        assertThat(temp.resolve("state/escaped.py")).doesNotExist();
        assertThatThrownBy(() -> lambda.getFunction(b -> b.functionName("unsafe")))
                .isInstanceOf(ResourceNotFoundException.class);
    }
}
