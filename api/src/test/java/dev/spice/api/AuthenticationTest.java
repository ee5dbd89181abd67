package dev.spice.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spice.engine.Engine;
import dev.spice.engine.EngineConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signature V4 on the server: only requests signed by a configured key are served; everything
 * else gets Lambda's 403 shapes. Requests go over a raw socket so that every byte can be chosen.
 */
class AuthenticationTest {
    @TempDir
    static Path temp;

    static RunningServer api;

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

    /** A request as it goes on the wire: method, path with query, headers in order, body. */
    record Raw(String method, String target, Map<String, String> headers, byte[] body) {
        Raw with(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Raw(method, target, h, body);
        }
    }

    record Answer(int status, String errorType, JsonNode body) {}

    private static Raw signed(String method, String target, String body, ApiCredentials.Key key, Instant at) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String host = api.server.uri().getRawAuthority();
        int q = target.indexOf('?');
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", host);
        headers.put("Content-Type", "application/json");
        headers.putAll(SigV4.sign(key, "us-east-1", method, host, q < 0 ? target : target.substring(0, q),
                q < 0 ? null : target.substring(q + 1), bytes, at));
        return new Raw(method, target, headers, bytes);
    }

    private static Raw invoke(String payload) {
        return signed("POST", "/2015-03-31/functions/hello/invocations", payload, RunningServer.KEY, Instant.now());
    }

    private static Answer send(Raw r) throws IOException {
        try (Socket s = new Socket(api.server.uri().getHost(), api.server.port())) {
            StringBuilder head = new StringBuilder(r.method() + " " + r.target() + " HTTP/1.1\r\n");
            r.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("Content-Length: ").append(r.body().length).append("\r\nConnection: close\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.UTF_8));
            out.write(r.body());
            out.flush();
            String response = new String(readAll(s.getInputStream()), StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            String type = null;
            for (String line : response.substring(0, response.indexOf("\r\n\r\n")).split("\r\n")) {
                if (line.toLowerCase().startsWith("x-amzn-errortype:")) {
                    type = line.substring(line.indexOf(':') + 1).strip();
                }
            }
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            return new Answer(status, type, body.isBlank() ? null : Json.MAPPER.readTree(body));
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toByteArray();
    }

    @Test
    void aSignedRequestIsServed() throws IOException {
        Answer a = send(invoke("{\"name\":\"signed\"}"));
        assertThat(a.status()).as(String.valueOf(a.body())).isEqualTo(200);
        assertThat(a.body().get("message").asText()).isEqualTo("Hello, signed!");
    }

    @Test
    void unsignedUnknownWrongAndStaleRequestsGetLambdasErrors() throws IOException {
        Raw good = invoke("{}");
        Map<String, String> unsignedHeaders = new LinkedHashMap<>(good.headers());
        unsignedHeaders.remove("Authorization");
        Answer unsigned = send(new Raw(good.method(), good.target(), unsignedHeaders, good.body()));
        assertThat(unsigned.status()).isEqualTo(403);
        assertThat(unsigned.errorType()).isEqualTo("MissingAuthenticationTokenException");
        assertThat(unsigned.body().get("message").asText()).isEqualTo("Missing Authentication Token");

        Answer unknown = send(signed("POST", good.target(), "{}", new ApiCredentials.Key("AKIDOTHER", "secret"), Instant.now()));
        assertThat(unknown.status()).isEqualTo(403);
        assertThat(unknown.errorType()).isEqualTo("UnrecognizedClientException");

        Answer wrong = send(signed("POST", good.target(), "{}", new ApiCredentials.Key("AKIDTEST", "guessed"), Instant.now()));
        assertThat(wrong.status()).isEqualTo(403);
        assertThat(wrong.errorType()).isEqualTo("InvalidSignatureException");

        Instant old = Instant.now().minus(RequestAuthenticator.MAX_SKEW).minusSeconds(60);
        Answer stale = send(signed("POST", good.target(), "{}", RunningServer.KEY, old));
        assertThat(stale.status()).isEqualTo(403);
        assertThat(stale.errorType()).isEqualTo("InvalidSignatureException");
        assertThat(stale.body().get("message").asText()).startsWith("Signature expired");

        Answer tampered = send(new Raw(good.method(), good.target(), good.headers(), "{\"x\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThat(tampered.status()).isEqualTo(403);
        assertThat(tampered.errorType()).isEqualTo("InvalidSignatureException");

        Answer engineEndpoint = send(new Raw("GET", "/functions", Map.of("Host", api.server.uri().getRawAuthority()), new byte[0]));
        assertThat(engineEndpoint.status()).as("the engine's own endpoints too").isEqualTo(403);
        Answer health = send(new Raw("GET", "/healthz", Map.of("Host", api.server.uri().getRawAuthority()), new byte[0]));
        assertThat(health.status()).as("the health check stays open").isEqualTo(200);
    }

    /** Seeded mutations of one part of a valid signed request; each must be refused. */
    @Test
    void everyMutationOfASignedRequestIsRefused() throws IOException {
        Random random = new Random(20261203);
        Raw base = signed("GET", "/2015-03-31/functions?MaxItems=5&Marker=a%2Fb", "", RunningServer.KEY, Instant.now());
        assertThat(send(base).status()).as("the unmutated request").isEqualTo(200);
        List<String> refused = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Raw m = mutate(base, random);
            Answer a = send(m);
            assertThat(a.status()).as("mutation %d: %s", i, m).isIn(400, 403, 404, 405);
            if (a.status() == 403) {
                refused.add(a.errorType());
            }
        }
        assertThat(refused).as("most mutations reach the signature check").hasSizeGreaterThan(25);
    }

    private static Raw mutate(Raw r, Random random) {
        switch (random.nextInt(6)) {
            case 0 -> {                                    // one character of the target
                String t = r.target();
                int at = 1 + random.nextInt(t.length() - 1);
                char c = t.charAt(at) == 'x' ? 'y' : 'x';
                return new Raw(r.method(), t.substring(0, at) + c + t.substring(at + 1), r.headers(), r.body());
            }
            case 1 -> {                                    // another method
                return new Raw(r.method().equals("GET") ? "DELETE" : "GET", r.target(), r.headers(), r.body());
            }
            case 2 -> {                                    // one hex digit of the signature
                String auth = r.headers().get("Authorization");
                int at = auth.length() - 1 - random.nextInt(64);
                char c = auth.charAt(at) == '0' ? '1' : '0';
                return r.with("Authorization", auth.substring(0, at) + c + auth.substring(at + 1));
            }
            case 3 -> {                                    // the signing time, one second off
                Instant at = SigV4.AMZ_DATE.parse(r.headers().get("X-Amz-Date"), Instant::from);
                return r.with("X-Amz-Date", SigV4.AMZ_DATE.format(at.plusSeconds(random.nextBoolean() ? 1 : -1)));
            }
            case 4 -> {                                    // a body where there was none
                byte[] body = new byte[1 + random.nextInt(16)];
                random.nextBytes(body);
                return new Raw(r.method(), r.target(), r.headers(), body);
            }
            default -> {                                   // the region of the credential scope
                return r.with("Authorization", r.headers().get("Authorization").replace("/us-east-1/", "/eu-west-1/"));
            }
        }
    }

    @Test
    void theSignatureFollowsAwssPublishedExample() {
        // AWS's Signature V4 test suite, "get-vanilla": GET / on example.amazonaws.com, service "service".
        String amzDate = "20150830T123600Z";
        String canonical = SigV4.canonicalRequest("GET", "/", null,
                new TreeMap<>(Map.of("host", "example.amazonaws.com", "x-amz-date", amzDate)), SigV4.sha256Hex(new byte[0]));
        assertThat(SigV4.signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", amzDate,
                SigV4.scope(amzDate, "us-east-1", "service"), canonical))
                .isEqualTo("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        assertThat(SigV4.canonicalUri("/2015-03-31/functions/my%3Afn/invocations"))
                .as("segments encoded twice").isEqualTo("/2015-03-31/functions/my%253Afn/invocations");
        assertThat(SigV4.canonicalQuery("b=2&a=x%2Fy&a=1")).isEqualTo("a=1&a=x%2Fy&b=2");
    }

    @Test
    void withoutAuthenticationUnsignedRequestsAreServed() throws IOException {
        try (Engine engine = Engine.open(EngineConfig.defaults(temp.resolve("open-state")));
                ApiServer open = ApiServer.start(engine, "127.0.0.1", 0, ApiSecurity.open());
                Socket s = new Socket("127.0.0.1", open.port())) {
            s.getOutputStream().write(("GET /functions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(readAll(s.getInputStream()), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void deployByPathOnlyFromUnderADeployRoot(@TempDir Path elsewhere) throws IOException {
        Path outside = TestFunctions.echo(elsewhere, "outsider");
        Answer refused = send(signed("POST", "/functions", Json.object().put("path", outside.toString()).toString(),
                RunningServer.KEY, Instant.now()));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body().toString()).contains("not under a deploy root");

        Path link = temp.resolve("escape");                // inside the root, pointing outside it
        Files.createSymbolicLink(link, outside);
        Answer viaLink = send(signed("POST", "/functions", Json.object().put("path", link.toString()).toString(),
                RunningServer.KEY, Instant.now()));
        assertThat(viaLink.status()).isEqualTo(403);

        Path inside = TestFunctions.echo(temp, "insider");
        Answer deployed = send(signed("POST", "/functions", Json.object().put("path", inside.toString()).toString(),
                RunningServer.KEY, Instant.now()));
        assertThat(deployed.status()).as(String.valueOf(deployed.body())).isEqualTo(201);
    }
}
