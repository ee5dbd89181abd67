package dev.spice.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's own endpoints and the Lambda API's error answers, through a plain HTTP client. */
class EngineEndpointsTest {
    @TempDir
    static Path temp;

    static RunningServer api;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        api = RunningServer.start(temp.resolve("state"));
        api.engine.deploy(TestFunctions.HELLO);
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    /** A request signed with the test key, as every client of the server must send it. */
    private static HttpResponse<String> send(String method, String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        return HTTP.send(api.signed(method, path, body, headers).timeout(Duration.ofSeconds(60)).build(),
                BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send("GET", path, new byte[0]);
    }

    private static HttpResponse<String> post(String path, String body, String... headers)
            throws IOException, InterruptedException {
        return send("POST", path, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    private static HttpResponse<String> invoke(String name, String payload) throws IOException, InterruptedException {
        return post("/2015-03-31/functions/" + name + "/invocations", payload);
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body());
    }

    private static String deployBody(Path dir) {
        return Json.object().put("path", dir.toString()).toString();
    }

    @Test
    void deployListInvokeAndDelete() throws Exception {
        Path dir = TestFunctions.echo(temp, "echo");

        HttpResponse<String> deployed = post("/functions", deployBody(dir), "Content-Type", "application/json");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        JsonNode info = json(deployed);
        assertThat(info.path("name").asText()).isEqualTo("echo");
        assertThat(info.path("runtime").asText()).isEqualTo("python3");
        assertThat(info.path("handler").asText()).isEqualTo("app.handler");
        assertThat(info.path("memory_mb").asInt()).isEqualTo(128);
        assertThat(info.path("timeout_s").asInt()).isEqualTo(3);
        assertThat(info.path("max_concurrency").asInt()).isPositive();
        assertThat(info.path("version").asText()).isNotEmpty();
        assertThat(info.path("code_bytes").asLong()).isPositive();
        assertThat(java.time.Instant.parse(info.path("deployed_at").asText())).isNotNull();
        assertThat(info.path("snapshot").isObject()).as("snapshot in %s", info).isTrue();
        assertThat(info.path("snapshot").path("image_bytes").asLong()).isPositive();
        assertThat(info.path("snapshot").path("stored_pages").asLong()).isPositive();
        assertThat(info.path("snapshot").path("capture_ms").asDouble()).isPositive();
        assertThat(info.path("snapshot_problem").isNull()).isTrue();

        HttpResponse<String> list = get("/functions");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(json(list)).extracting(f -> f.path("name").asText()).contains("echo", "hello");
        HttpResponse<String> one = get("/functions/echo");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(json(one).path("name").asText()).isEqualTo("echo");

        HttpResponse<String> echoed = invoke("echo", "{\"x\":[1,2,3]}");
        assertThat(echoed.statusCode()).isEqualTo(200);
        assertThat(json(echoed).path("echo").path("x").toString()).isEqualTo("[1,2,3]");

        HttpResponse<String> deleted = send("DELETE", "/functions/echo", new byte[0]);
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(deleted.body()).isEmpty();

        HttpResponse<String> gone = invoke("echo", "{}");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.headers().firstValue("x-amzn-ErrorType")).hasValue("ResourceNotFoundException");
        assertThat(json(gone).path("message").asText())
                .isEqualTo("Function not found: arn:aws:lambda:us-east-1:000000000000:function:echo");
        assertThat(json(gone).path("Type").asText()).isEqualTo("User");
        assertThat(json(gone).path("__type").asText()).isEqualTo("ResourceNotFoundException");

        assertThat(send("DELETE", "/functions/echo", new byte[0]).statusCode()).isEqualTo(404);
        assertThat(get("/functions/echo").statusCode()).isEqualTo(404);
        assertThat(json(get("/functions"))).extracting(f -> f.path("name").asText()).doesNotContain("echo");
    }

    @Test
    void deployErrorsAreBadRequests() throws Exception {
        Path noManifest = temp.resolve("empty-dir");
        java.nio.file.Files.createDirectories(noManifest);

        HttpResponse<String> missing = post("/functions", deployBody(noManifest));
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(json(missing).path("error").asText()).contains("spice.yaml");

        HttpResponse<String> notJson = post("/functions", "{path:");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(json(notJson).path("error").asText()).isNotEmpty();

        HttpResponse<String> relative = post("/functions", "{\"path\":\"functions/hello\"}");
        assertThat(relative.statusCode()).isEqualTo(400);
        assertThat(json(relative).path("error").asText()).contains("absolute");

        HttpResponse<String> broken = post("/functions", deployBody(TestFunctions.write(temp, "broken",
                "import does_not_exist\n")));
        assertThat(broken.statusCode()).as(broken.body()).isEqualTo(400);
        assertThat(json(broken).path("error").asText()).contains("broken");
        assertThat(api.engine.function("broken")).isEmpty();
    }

    @Test
    void metricsCountInvocations() throws Exception {
        HttpResponse<String> invoked = invoke("hello", "{\"name\":\"metrics\"}");
        assertThat(invoked.statusCode()).isEqualTo(200);

        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(metrics.body()).containsPattern("spice_invocations_total\\{function=\"hello\",path=\"\\w+\"} \\d");
    }

    @Test
    void healthz() throws Exception {
        HttpResponse<String> r = get("/healthz");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode health = json(r);
        assertThat(health.path("status").asText()).isEqualTo("ok");
        assertThat(health.path("service").asText()).isEqualTo("spice");
        assertThat(health.path("functions").asInt()).isEqualTo(api.engine.functions().size());
    }

    @Test
    void invokeAnswersWithLambdaAndSpiceHeaders() throws Exception {
        HttpResponse<String> r = post("/2015-03-31/functions/hello/invocations", "{\"name\":\"http\"}",
                "X-Amz-Log-Type", "Tail");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(json(r).path("message").asText()).isEqualTo("Hello, http!");
        assertThat(r.headers().firstValue("X-Amz-Executed-Version")).hasValue("$LATEST");
        assertThat(r.headers().firstValue("X-Amz-Function-Error")).isEmpty();
        String requestId = r.headers().firstValue("x-amzn-RequestId").orElseThrow();
        assertThat(json(r).path("request_id").asText()).isEqualTo(requestId);
        String log = new String(java.util.Base64.getDecoder().decode(r.headers().firstValue("X-Amz-Log-Result")
                .orElseThrow()), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(log).startsWith("START RequestId: " + requestId).contains("greeting http");
        assertThat(r.headers().firstValue("X-Spice-Path")).hasValueSatisfying(
                p -> assertThat(p).isIn("warm", "restored", "booted"));
        assertThat(r.headers().firstValue("X-Spice-Duration-Ms")).hasValueSatisfying(
                d -> assertThat(d).matches("\\d+\\.\\d{3}"));
    }

    @Test
    void coldInvocationRestoresFromTheSnapshot() throws Exception {
        HttpResponse<String> r = post("/2015-03-31/functions/hello/invocations", "{}", "X-Spice-Cold", "true");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Spice-Path")).hasValue("restored");
        assertThat(r.headers().firstValue("X-Spice-Timings")).hasValueSatisfying(t -> assertThat(t).contains("restore"));
    }

    @Test
    void anEmptyPayloadIsAnEmptyEvent() throws Exception {
        HttpResponse<String> r = invoke("hello", "");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).path("message").asText()).isEqualTo("Hello, world!");
    }

    @Test
    void invalidJsonPayloadIsInvalidRequestContent() throws Exception {
        HttpResponse<String> r = invoke("hello", "{not json");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("InvalidRequestContentException");
        assertThat(json(r).path("__type").asText()).isEqualTo("InvalidRequestContentException");
        assertThat(json(r).path("message").asText()).contains("not valid JSON");
        assertThat(r.body()).doesNotContain("at dev.spice", "Exception:");
    }

    @Test
    void anUnknownInvocationTypeIsInvalid() throws Exception {
        HttpResponse<String> r = post("/2015-03-31/functions/hello/invocations", "{}",
                "X-Amz-Invocation-Type", "Sometime");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("InvalidParameterValueException");
    }

    @Test
    void aPayloadOverSixMegabytesIsTooLarge() throws Exception {
        byte[] big = new byte[6 * 1024 * 1024 + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        HttpResponse<String> r = send("POST", "/2015-03-31/functions/hello/invocations", big);

        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("RequestTooLargeException");
    }

    @Test
    void unknownRoutesAndWrongMethods() throws Exception {
        HttpResponse<String> unknown = get("/nope");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).path("error").asText()).contains("/nope");

        HttpResponse<String> unknownLambda = get("/2015-03-31/functions/hello/nope");
        assertThat(unknownLambda.statusCode()).isEqualTo(404);
        assertThat(unknownLambda.headers().firstValue("x-amzn-ErrorType")).isPresent();

        HttpResponse<String> wrongMethod = send("PUT", "/healthz", new byte[0]);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET");

        HttpResponse<String> getInvocations = get("/2015-03-31/functions/hello/invocations");
        assertThat(getInvocations.statusCode()).isEqualTo(405);
    }

    @Test
    void errorsJettyAnswersItselfAreJsonToo() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", api.server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /functions/a%2Fb HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

            assertThat(answer).startsWith("HTTP/1.1 400").contains("application/json").contains("{\"error\":")
                    .doesNotContain("<html", "at org.eclipse");
        }
    }

    @Test
    void lambdaListFunctionsWithATrailingSlash() throws Exception {
        HttpResponse<String> r = get("/2015-03-31/functions/");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode hello = json(r).path("Functions").get(0);
        assertThat(hello.path("FunctionName").asText()).isEqualTo("hello");
        assertThat(hello.path("PackageType").asText()).isEqualTo("Zip");
        assertThat(hello.path("Description").asText()).isEmpty();
    }
}
