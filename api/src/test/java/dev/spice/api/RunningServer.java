package dev.spice.api;

import dev.spice.engine.Engine;
import dev.spice.engine.EngineConfig;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;

/** An engine on a state directory and its API on a free loopback port, as the API tests use them; closed together. */
final class RunningServer implements AutoCloseable {
    final Engine engine;
    final ApiServer server;

    private RunningServer(Engine engine, ApiServer server) {
        this.engine = engine;
        this.server = server;
    }

    /** The key the server accepts and the clients sign with. */
    static final ApiCredentials.Key KEY = new ApiCredentials.Key("AKIDTEST", "secret");

    /** A server that accepts requests signed with {@link #KEY} and deploys by path from under {@code state}'s parent. */
    static RunningServer start(Path state) {
        Engine engine = Engine.open(EngineConfig.defaults(state).withKeepDeployed(true));
        try {
            ApiSecurity security = new ApiSecurity(ApiCredentials.parse(KEY.id() + ":" + KEY.secret()),
                    List.of(state.getParent()));
            return new RunningServer(engine, ApiServer.start(engine, "127.0.0.1", 0, security));
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /** The AWS SDK's Lambda client for this server, with the server's key. */
    LambdaClient lambda() {
        return LambdaClient.builder().endpointOverride(server.uri()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(KEY.id(), KEY.secret())))
                .build();
    }

    /** A request to {@code path} signed with {@link #KEY} (headers: name, value, ...). */
    HttpRequest.Builder signed(String method, String path, byte[] body, String... headers) {
        URI uri = URI.create(server.uri() + path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        SigV4.sign(KEY, "us-east-1", method, uri.getRawAuthority(), uri.getRawPath(), uri.getRawQuery(), body,
                Instant.now()).forEach(b::header);
        return b;
    }

    @Override
    public void close() {
        server.close();
        engine.close();
    }
}
