package dev.spice.api;

import dev.spice.engine.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The engine over HTTP: the AWS Lambda API for invoking and managing functions (so that existing
 * Lambda clients work; docs/lambda-api.md) and the engine's own endpoints.
 *
 * <pre>
 * POST   /2015-03-31/functions/{name}/invocations   Invoke (RequestResponse, Event, DryRun; Qualifier)
 * POST   /2015-03-31/functions                      CreateFunction (ZipFile)
 * GET    /2015-03-31/functions                      ListFunctions (Marker, MaxItems, FunctionVersion)
 * GET    /2015-03-31/functions/{name}               GetFunction
 * DELETE /2015-03-31/functions/{name}               DeleteFunction
 * GET    /2015-03-31/functions/{name}/configuration GetFunctionConfiguration
 * PUT    /2015-03-31/functions/{name}/configuration UpdateFunctionConfiguration
 * PUT    /2015-03-31/functions/{name}/code          UpdateFunctionCode
 * POST   /2015-03-31/functions/{name}/versions      PublishVersion
 * GET    /2015-03-31/functions/{name}/versions      ListVersionsByFunction
 * POST   /functions            {"path": "/abs/dir"}  deploy (from under a deploy root only)
 * GET    /functions, /functions/{name}              describe
 * DELETE /functions/{name}                          delete
 * GET    /metrics                                   Prometheus text format
 * GET    /healthz                                   {"status":"ok",...}
 * </pre>
 *
 * Every request but {@code GET /healthz} must be signed (AWS Signature V4) by a key of the
 * server's, unless it runs without authentication ({@link ApiSecurity}).
 *
 * <p>Requests run on Jetty's pool of platform threads: an invocation blocks in native calls while
 * the function runs, which must not pin virtual threads. (Jetty's idle timeout, 30 s, does not
 * cut a connection whose request is still being handled, so long invocations are safe.) The server does not own the engine;
 * closing one does not close the other.
 */
public final class ApiServer implements AutoCloseable {
    public static final String DEFAULT_HOST = "127.0.0.1";

    private final Server server;
    private final ServerConnector connector;
    private final String host;

    private ApiServer(Server server, ServerConnector connector, String host) {
        this.server = server;
        this.connector = connector;
        this.host = host;
    }

    /**
     * Starts a server on {@code host} (null for {@value #DEFAULT_HOST}) and {@code port} (0 for
     * any free port), accepting the requests {@code security} allows.
     */
    public static ApiServer start(Engine engine, String host, int port, ApiSecurity security) {
        String bind = host == null || host.isBlank() ? DEFAULT_HOST : host;
        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("spice-api");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(bind);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new ApiHandler(routes(engine, security), security.credentials() == null ? null
                : new RequestAuthenticator(security.credentials(), Clock.systemUTC())));
        server.setErrorHandler(new JsonErrorHandler());
        server.setStopTimeout(2000);
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            String message = "cannot serve on " + bind + ":" + port + ": " + e.getMessage();
            throw e instanceof IOException io ? new UncheckedIOException(message, io) : new IllegalStateException(message, e);
        }
        return new ApiServer(server, connector, bind);
    }

    static Router routes(Engine engine, ApiSecurity security) {
        LambdaInvokeHandler invoke = new LambdaInvokeHandler(engine);
        LambdaFunctionsHandler lambda = new LambdaFunctionsHandler(engine);
        FunctionsHandler functions = new FunctionsHandler(engine, security);
        StatusHandler status = new StatusHandler(engine);
        JsonErrors.Style aws = JsonErrors.Style.AWS;
        JsonErrors.Style spice = JsonErrors.Style.SPICE;
        return new Router()
                .add("POST", "/2015-03-31/functions/{name}/invocations", aws, invoke)
                .add("GET", "/2015-03-31/functions", aws, lambda::list)
                .add("POST", "/2015-03-31/functions", aws, lambda::create)
                .add("GET", "/2015-03-31/functions/{name}", aws, lambda::get)
                .add("DELETE", "/2015-03-31/functions/{name}", aws, lambda::delete)
                .add("GET", "/2015-03-31/functions/{name}/configuration", aws, lambda::getConfiguration)
                .add("PUT", "/2015-03-31/functions/{name}/configuration", aws, lambda::updateConfiguration)
                .add("PUT", "/2015-03-31/functions/{name}/code", aws, lambda::updateCode)
                .add("POST", "/2015-03-31/functions/{name}/versions", aws, lambda::publish)
                .add("GET", "/2015-03-31/functions/{name}/versions", aws, lambda::listVersions)
                .add("POST", "/functions", spice, functions::deploy)
                .add("GET", "/functions", spice, functions::list)
                .add("GET", "/functions/{name}", spice, functions::get)
                .add("DELETE", "/functions/{name}", spice, functions::delete)
                .add("GET", "/metrics", spice, status::metrics)
                .add("GET", "/healthz", spice, status::health);
    }

    /** The port the server listens on (the one chosen when started with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The server's base URI, without a trailing slash; a wildcard address is reached through the loopback. */
    public URI uri() {
        String h = switch (host) {
            case "0.0.0.0" -> "127.0.0.1";
            case "::", "[::]", "::0" -> "[::1]";
            default -> host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        };
        return URI.create("http://" + h + ":" + port());
    }

    /** Waits until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Stops the server; requests still running get a short grace period. The engine stays open. */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the API server: " + e.getMessage(), e);
        }
    }

    /** Same as {@link #close()}. */
    public void stop() {
        close();
    }
}
