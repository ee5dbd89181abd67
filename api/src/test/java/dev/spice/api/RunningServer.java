package dev.spice.api;

import dev.spice.engine.Engine;
import dev.spice.engine.EngineConfig;
import java.nio.file.Path;
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

    static RunningServer start(Path state) {
        Engine engine = Engine.open(EngineConfig.defaults(state).withKeepDeployed(true));
        try {
            return new RunningServer(engine, ApiServer.start(engine, "127.0.0.1", 0));
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /** The AWS SDK's Lambda client for this server (any credentials: the server checks none). */
    LambdaClient lambda() {
        return LambdaClient.builder().endpointOverride(server.uri()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .build();
    }

    @Override
    public void close() {
        server.close();
        engine.close();
    }
}
