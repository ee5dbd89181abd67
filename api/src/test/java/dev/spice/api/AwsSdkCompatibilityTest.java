package dev.spice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.retry.backoff.FixedDelayBackoffStrategy;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionResponse;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.waiters.LambdaWaiter;

/** The AWS SDK's own Lambda client against the server: what existing Lambda clients will see. */
class AwsSdkCompatibilityTest {
    @TempDir
    static Path temp;

    static RunningServer api;
    static LambdaClient lambda;

    @BeforeAll
    static void start() throws Exception {
        api = RunningServer.start(temp.resolve("state"));
        api.engine.deploy(TestFunctions.HELLO);
        api.engine.deploy(TestFunctions.failing(temp, "failing"));
        api.engine.deploy(TestFunctions.JSON_PARSE);
        lambda = api.lambda();
        SdkBytes nodeZip = SdkBytes.fromByteArray(TestFunctions.zip("index.mjs", NODE_FUNCTION));
        lambda.createFunction(b -> b.functionName("node").runtime(Runtime.NODEJS20_X).handler("index.handler")
                .role("arn:aws:iam::000000000000:role/lambda").code(c -> c.zipFile(nodeZip)));
        try (LambdaWaiter waiter = LambdaWaiter.builder().client(lambda).overrideConfiguration(
                WaiterOverrideConfiguration.builder().backoffStrategy(FixedDelayBackoffStrategy.create(
                        Duration.ofMillis(100))).maxAttempts(600).build()).build()) {
            waiter.waitUntilFunctionActive(b -> b.functionName("node"));
        }
    }

    /** A Node.js function as a Lambda user writes one: an ES module with an async handler. */
    static final String NODE_FUNCTION = """
            export const handler = async (event, context) => {
              console.log('adding', event.a, event.b);
              if (typeof event.a !== 'number') throw new TypeError(`not a number: ${event.a}`);
              return { sum: event.a + event.b, requestId: context.awsRequestId, runtime: process.env.AWS_EXECUTION_ENV };
            };
            """;

    @AfterAll
    static void stop() {
        if (lambda != null) {
            lambda.close();
        }
        if (api != null) {
            api.close();
        }
    }

    private static SdkBytes json(String text) {
        return SdkBytes.fromUtf8String(text);
    }

    @Test
    void invokeReturnsThePayloadAndTheLogTail() {
        InvokeResponse r = lambda.invoke(b -> b.functionName("hello").payload(json("{\"name\":\"sdk\"}"))
                .logType(LogType.TAIL));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.functionError()).isNull();
        assertThat(r.payload().asUtf8String()).contains("Hello, sdk!");
        assertThat(r.executedVersion()).isEqualTo("$LATEST");
        String log = new String(Base64.getDecoder().decode(r.logResult()), StandardCharsets.UTF_8);
        assertThat(log).contains("START RequestId").contains("greeting sdk").contains("END RequestId")
                .contains("REPORT RequestId");
        assertThat(r.responseMetadata().requestId()).isNotBlank();
        assertThat(log).contains(r.responseMetadata().requestId());
        assertThat(r.sdkHttpResponse().firstMatchingHeader("X-Spice-Path")).hasValueSatisfying(
                p -> assertThat(p).isIn("warm", "restored", "booted"));
        assertThat(r.sdkHttpResponse().firstMatchingHeader("X-Spice-Duration-Ms")).hasValueSatisfying(
                d -> assertThat(d).matches("\\d+\\.\\d{3}"));
    }

    @Test
    void invokeOfAJavaFunctionReturnsItsResultErrorAndLog() {
        InvokeResponse r = lambda.invoke(b -> b.functionName("json_parse")
                .payload(json("{\"json\": \"{\\\"a\\\": [1, 2, {\\\"b\\\": true}]}\"}")).logType(LogType.TAIL));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.functionError()).isNull();
        assertThat(r.payload().asUtf8String()).contains("\"values\":6", "\"depth\":3", "\"verified\":true");
        String log = new String(Base64.getDecoder().decode(r.logResult()), StandardCharsets.UTF_8);
        assertThat(log).contains("parsed 26 bytes, 6 values", "REPORT RequestId");

        InvokeResponse failed = lambda.invoke(b -> b.functionName("json_parse").payload(json("{\"json\": \"[1,\"}")));
        assertThat(failed.functionError()).isEqualTo("Unhandled");
        assertThat(failed.payload().asUtf8String()).contains("\"errorType\":\"java.io.UncheckedIOException\"",
                "\"stackTrace\":[\"dev.spice.functions.jsonparse.JsonParse.handleRequest(JsonParse.java:");

        FunctionConfiguration config = lambda.getFunction(b -> b.functionName("json_parse")).configuration();
        assertThat(config.runtimeAsString()).isEqualTo("java");
        assertThat(config.handler()).isEqualTo("dev.spice.functions.jsonparse.JsonParse");
    }

    @Test
    void invokeWithoutLogTypeHasNoLogResult() {
        InvokeResponse r = lambda.invoke(b -> b.functionName("hello").payload(json("{}")));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.payload().asUtf8String()).contains("Hello, world!");
        assertThat(r.logResult()).isNull();
    }

    @Test
    void invokeAcceptsAnArnAndAQualifier() {
        InvokeResponse byArn = lambda.invoke(b -> b.functionName("arn:aws:lambda:us-east-1:000000000000:function:hello")
                .payload(json("{\"name\":\"arn\"}")));
        InvokeResponse qualified = lambda.invoke(b -> b.functionName("hello").qualifier("$LATEST")
                .payload(json("{\"name\":\"qualified\"}")));

        assertThat(byArn.payload().asUtf8String()).contains("Hello, arn!");
        assertThat(qualified.payload().asUtf8String()).contains("Hello, qualified!");
    }

    @Test
    void listFunctionsShowsTheDeployedFunctions() {
        var functions = lambda.listFunctions().functions();

        assertThat(functions).extracting(FunctionConfiguration::functionName).containsExactly("failing", "hello", "json_parse", "node");
        FunctionConfiguration hello = functions.stream().filter(f -> f.functionName().equals("hello")).findFirst()
                .orElseThrow();
        assertThat(hello.runtimeAsString()).isEqualTo("python3");
        assertThat(hello.handler()).isEqualTo("app.handler");
        assertThat(hello.memorySize()).isEqualTo(128);
        assertThat(hello.timeout()).isEqualTo(3);
        assertThat(hello.version()).isEqualTo("$LATEST");
        assertThat(hello.functionArn()).isEqualTo("arn:aws:lambda:us-east-1:000000000000:function:hello");
        assertThat(hello.codeSize()).isPositive();
        assertThat(hello.lastModified()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+0000");
        assertThat(hello.environment().variables()).containsEntry("GREETING", "Hello");
    }

    @Test
    void getFunctionDescribesOneFunction() {
        GetFunctionResponse r = lambda.getFunction(b -> b.functionName("hello"));

        assertThat(r.configuration().functionName()).isEqualTo("hello");
        assertThat(r.configuration().runtimeAsString()).isEqualTo("python3");
        assertThat(r.code().repositoryType()).isEqualTo("S3");
    }

    @Test
    void aMissingFunctionIsResourceNotFound() {
        assertThatThrownBy(() -> lambda.invoke(b -> b.functionName("missing").payload(json("{}"))))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing")
                .satisfies(e -> assertThat(((ResourceNotFoundException) e).statusCode()).isEqualTo(404));
        assertThatThrownBy(() -> lambda.getFunction(b -> b.functionName("missing")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> lambda.invoke(b -> b.functionName("missing").invocationType(InvocationType.DRY_RUN)))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void eventInvocationIsAccepted() {
        InvokeResponse r = lambda.invoke(b -> b.functionName("hello").invocationType(InvocationType.EVENT)
                .payload(json("{\"name\":\"event\"}")));

        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.payload().asByteArray()).isEmpty();
    }

    @Test
    void dryRunChecksThatTheFunctionExists() {
        InvokeResponse r = lambda.invoke(b -> b.functionName("hello").invocationType(InvocationType.DRY_RUN));

        assertThat(r.statusCode()).isEqualTo(204);
    }

    @Test
    void aRaisingHandlerIsAnUnhandledFunctionError() throws Exception {
        InvokeResponse r = lambda.invoke(b -> b.functionName("failing").payload(json("{}")).logType(LogType.TAIL));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.functionError()).isEqualTo("Unhandled");
        JsonNode error = Json.MAPPER.readTree(r.payload().asByteArray());
        assertThat(error.path("errorType").asText()).isEqualTo("ValueError");
        assertThat(error.path("errorMessage").asText()).isEqualTo("bad input");
        String log = new String(Base64.getDecoder().decode(r.logResult()), StandardCharsets.UTF_8);
        assertThat(log).contains("START RequestId");
    }

    @Test
    void aNodeFunctionCreatedThroughTheSdkIsInvokedThroughIt() throws Exception {
        assertThat(lambda.getFunctionConfiguration(b -> b.functionName("node")).runtime()).isEqualTo(Runtime.NODEJS20_X);
        for (int a : new int[] {2, -7, 40}) {
            InvokeResponse r = lambda.invoke(b -> b.functionName("node").payload(json("{\"a\": " + a + ", \"b\": 5}"))
                    .logType(LogType.TAIL));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.functionError()).isNull();
            JsonNode payload = Json.MAPPER.readTree(r.payload().asByteArray());
            assertThat(payload.path("sum").asInt()).isEqualTo(a + 5);
            assertThat(payload.path("requestId").asText()).isEqualTo(r.responseMetadata().requestId());
            assertThat(payload.path("runtime").asText()).isEqualTo("Spice_nodejs20.x");
            String log = new String(Base64.getDecoder().decode(r.logResult()), StandardCharsets.UTF_8);
            assertThat(log).contains("START RequestId", "\tINFO\tadding " + a + " 5\n", "REPORT RequestId");
        }
        InvokeResponse failed = lambda.invoke(b -> b.functionName("node").payload(json("{\"a\": \"x\"}")));
        assertThat(failed.functionError()).isEqualTo("Unhandled");
        JsonNode error = Json.MAPPER.readTree(failed.payload().asByteArray());
        assertThat(error.path("errorType").asText()).isEqualTo("TypeError");
        assertThat(error.path("errorMessage").asText()).isEqualTo("not a number: x");
        assertThat(error.path("trace").get(0).asText()).isEqualTo("TypeError: not a number: x");
    }
}
