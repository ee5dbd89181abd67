package dev.spice.cli;

import dev.spice.api.ApiSecurity;
import dev.spice.api.ApiServer;
import dev.spice.engine.Engine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "serve", description = "Serve the engine over HTTP: the AWS Lambda Invoke API plus the engine's own "
        + "endpoints (deploy, delete, metrics, health). Runs until interrupted.")
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engineOptions;

    @Option(names = "--port", defaultValue = "9000", description = "port to listen on (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--keep-alive", description = "seconds an idle instance is kept (default: 10; a function's "
            + "keep_alive_s overrides it)")
    Integer keepAlive;

    @Option(names = "--credentials", paramLabel = "FILE", description = "accept requests signed (AWS Signature V4) by "
            + "the keys of this AWS shared-credentials file (default: $SPICE_CREDENTIALS=KEY_ID:SECRET, or the "
            + "server's own key in STATE/credentials, created on first start)")
    Path credentials;

    @Option(names = "--no-auth", description = "accept unsigned requests from anyone who reaches the port (local use only)")
    boolean noAuth;

    @Option(names = "--deploy-root", paramLabel = "DIR", description = "POST /functions may deploy a function by path "
            + "from under DIR (repeatable; default: from nowhere)")
    List<Path> deployRoots = new ArrayList<>();

    /** Restores per function before listening (the first few after a start are the slow ones), and their limit. */
    private static final int WARM_UP_RESTORES = 4;
    private static final Duration WARM_UP_BUDGET = Duration.ofSeconds(5);

    @Override
    public Integer call() throws InterruptedException {
        var config = engineOptions.config().withKeepDeployed(true).withZygotes(2);
        if (keepAlive != null) {
            config = config.withKeepAlive(Duration.ofSeconds(keepAlive));
        }
        ApiSecurity security = new ApiSecurity(noAuth ? null : ServerCredentials.resolve(credentials,
                config.stateDir()), deployRoots);
        if (noAuth) {
            spec.commandLine().getErr().println("spice: warning: --no-auth: anyone who reaches the port can deploy and run "
                    + "code; use it on a trusted machine only");
        }
        Engine engine = Engine.open(config);
        // Listening only once restores run at full speed (docs/startup.md).
        int restores = engine.warmUp(WARM_UP_RESTORES, WARM_UP_BUDGET);
        ApiServer server = ApiServer.start(engine, host, port, security);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            engine.close();
            stopped.countDown();
        }));
        spec.commandLine().getOut().printf("spice: serving %d function(s) on %s (state %s; %d warm-up restores)%n",
                engine.functions().size(), server.uri(), config.stateDir(), restores);
        stopped.await();
        return 0;
    }
}
