package dev.spice.engine;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spice.capture.CaptureRefusedException;
import dev.spice.capture.Capturer;
import dev.spice.image.ImageFormatException;
import dev.spice.image.ImageRewriter;
import dev.spice.image.Records.WsRange;
import dev.spice.restore.RestoreFailedException;
import dev.spice.restore.RestoreTimings;
import dev.spice.sys.ErrnoException;
import dev.spice.sys.Fds;
import dev.spice.sys.proc.PageFaults;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serverless engine: deploys functions (boot, warm up, prepare, snapshot) and invokes them on
 * a warm instance, a restored one, or, when there is no usable snapshot, a freshly booted one.
 * docs/architecture.md describes the data paths.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final int LOG_TAIL = 4096;
    /** The qualifier of a function's current version. */
    public static final String LATEST = "$LATEST";

    private final EngineConfig config;
    private final StateStore store;
    private final Runtimes runtimes;
    private final InstanceFactory factory;
    private final EngineMetrics metrics;
    private final Map<String, FunctionState> functions = new ConcurrentHashMap<>();
    /** Published versions, by "NAME:N"; each has a pool of its own. */
    private final Map<String, FunctionState> published = new ConcurrentHashMap<>();
    /** Guards {@link #updates} and every change of which deployment is current. */
    private final Object lifecycle = new Object();
    /** Per function: the deployment running now, or the last one that failed. */
    private final Map<String, Update> updates = new HashMap<>();
    private final ScheduledExecutorService evictor;
    private final ExecutorService async;
    private final int[] lifeline = Fds.pipe();
    /** A second close must not close the lifeline's numbers again: by then they may be another engine's. */
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SecureRandom entropy = new SecureRandom();

    private Engine(EngineConfig config) {
        this.config = config;
        this.store = new StateStore(config.stateDir());
        this.runtimes = new Runtimes(store.runtimes());
        InstanceSandbox sandbox = config.sandbox() ? InstanceSandbox.create(store.root(), runtimes.shimsDir()) : null;
        this.factory = new InstanceFactory(runtimes, InstanceCgroups.detect(config.stateDir()), sandbox, lifeline[0],
                config.zygotes(),
                config.prefetch(), config.pinFiles());
        this.metrics = new EngineMetrics(functions::values, factory::live);
        for (Deployment d : store.load()) {
            functions.put(d.name(), serving(d));
            for (StateStore.Published p : store.published(d.name())) {
                Deployment v = store.load(p);
                published.put(d.name() + ":" + p.number(), serving(v));
            }
        }
        this.evictor = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("spice-evictor").unstarted(r));
        evictor.scheduleWithFixedDelay(this::evictIdle, 1, 1, TimeUnit.SECONDS);
        // Platform threads: invocations block in native poll/read, which would pin virtual threads.
        this.async = Executors.newCachedThreadPool(r -> Thread.ofPlatform().daemon().name("spice-async").unstarted(r));
    }

    /** Opens the engine on a state directory, with every function deployed there. */
    public static Engine open(EngineConfig config) {
        return new Engine(config);
    }

    public EngineConfig config() {
        return config;
    }

    private InstancePool newPool(FunctionManifest m) {
        Duration keepAlive = m.keepAliveS() != null ? Duration.ofSeconds(m.keepAliveS()) : config.keepAlive();
        return new InstancePool(m.maxConcurrency(), keepAlive);
    }

    /** A deployment about to serve: its pool, and its snapshot's files pinned (see InstanceFactory#pin); retire it. */
    private FunctionState serving(Deployment d) {
        factory.pin(d);
        return new FunctionState(d, newPool(d.manifest()));
    }

    /** A deployment that no longer serves: its idle instances end, its pinned files close. */
    private void retire(FunctionState f) {
        f.pool().close();
        factory.unpin(f.deployment());
    }

    /**
     * Makes the restore path fast before the first request: restores each function's snapshot
     * {@code restoresPerFunction} times and ends the instances at once (their code does not run:
     * a snapshot waits for its next request), so that classes, method handles, compiled code and
     * the page cache are warm, then waits until the zygotes are ready again. Stops at the budget.
     * Returns how many restores it made.
     */
    public int warmUp(int restoresPerFunction, Duration budget) {
        long deadline = System.nanoTime() + budget.toNanos();
        int restores = 0;
        for (FunctionState f : functions.values()) {
            for (int i = 0; i < restoresPerFunction && f.deployment().hasSnapshot() && System.nanoTime() < deadline; i++) {
                try {
                    factory.restore(f.deployment()).kill();
                    restores++;
                } catch (RuntimeException e) {
                    LOG.warn("warm-up restore of {} failed: {}", f.name(), e.getMessage());
                    break;
                } finally {
                    factory.replenish();
                }
            }
        }
        try {
            factory.awaitZygotes(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return restores;
    }

    /** How many instances are alive now, idle, busy or starting. */
    int liveInstances() {
        return factory.live().size();
    }

    // ------------------------------------------------------------------ deploy

    /**
     * Deploys the function in {@code dir} (its spice.yaml and code); see
     * {@link #deploy(FunctionManifest, FunctionCode)}.
     */
    public FunctionInfo deploy(Path dir) {
        return deploy(FunctionManifest.load(dir.toAbsolutePath()), FunctionCode.directory(dir));
    }

    /**
     * Deploys a function and waits: copies its code, boots it, runs the warm-up events, prepares
     * it and takes its snapshot, then makes it the function's current version. A process that
     * cannot be snapshotted still deploys (its invocations boot); anything else that fails leaves
     * the previous version in place. Refused while another deployment of the function runs.
     */
    public FunctionInfo deploy(FunctionManifest manifest, FunctionCode code) {
        Update update = reserve(manifest, Reservation.ANY);
        Staged staged = null;
        try {
            staged = stage(manifest, code, update);
            return complete(staged);
        } finally {
            synchronized (lifecycle) {
                updates.remove(manifest.name(), staged != null ? staged.update() : update);
            }
        }
    }

    /**
     * Creates a function that does not exist yet and returns at once, PENDING: the code is
     * written now (a bad package is refused here), the deployment finishes in the background.
     */
    public FunctionStatus create(FunctionManifest manifest, FunctionCode code) {
        return deployInBackground(manifest, code, reserve(manifest, Reservation.NEW));
    }

    /**
     * Replaces the code of an existing function (null: keep the current code) and/or its
     * configuration ({@code configure} maps the current manifest to the new one) and returns at
     * once; the new deployment finishes in the background while the current one keeps serving.
     */
    public FunctionStatus update(String name, FunctionCode code, UnaryOperator<FunctionManifest> configure) {
        FunctionManifest current;
        FunctionCode source = code;
        synchronized (lifecycle) {
            FunctionState active = functions.get(name);
            Update failed = updates.get(name);
            if (active == null && failed == null) {
                throw new FunctionNotFoundException(name);
            }
            current = failed != null ? failed.manifest() : active.deployment().manifest();
            if (source == null) {
                if (active == null) {
                    throw new FunctionConflictException("function " + name + " has no deployed code to reconfigure");
                }
                source = FunctionCode.of(active.deployment());
            }
        }
        FunctionManifest manifest = configure.apply(current).checked();
        if (!manifest.name().equals(name)) {
            throw new DeployException("an update cannot rename function " + name);
        }
        return deployInBackground(manifest, source, reserve(manifest, Reservation.EXISTING));
    }

    private FunctionStatus deployInBackground(FunctionManifest manifest, FunctionCode code, Update update) {
        Staged staged;
        try {
            staged = stage(manifest, code, update);
        } catch (RuntimeException e) {
            synchronized (lifecycle) {
                updates.remove(manifest.name(), update);
                if (update.previous() != null) {
                    updates.put(manifest.name(), update.previous());
                }
            }
            throw e;
        }
        async.submit(() -> {
            try {
                complete(staged);
                synchronized (lifecycle) {
                    updates.remove(manifest.name(), staged.update());
                }
            } catch (RuntimeException e) {
                LOG.warn("deploy {} failed: {}", manifest.name(), e.getMessage());
                synchronized (lifecycle) {
                    updates.replace(manifest.name(), staged.update(), staged.update().failed(e.getMessage()));
                }
            }
        });
        return status(manifest.name()).orElseThrow(() -> new FunctionNotFoundException(manifest.name()));
    }

    /** What a new deployment requires of the function's current state. */
    private enum Reservation { ANY, NEW, EXISTING }

    /** Marks a deployment of the function as running; refused if one runs already, or by {@code kind}. */
    private Update reserve(FunctionManifest manifest, Reservation kind) {
        String name = manifest.name();
        synchronized (lifecycle) {
            Update running = updates.get(name);
            boolean exists = functions.containsKey(name) || running != null;
            if (kind == Reservation.NEW && exists) {
                throw new FunctionConflictException("Function already exist: " + name);
            }
            if (kind == Reservation.EXISTING && !exists) {
                throw new FunctionNotFoundException(name);
            }
            if (running != null && running.reason() == null) {
                throw new FunctionConflictException("a deployment of " + name + " is in progress");
            }
            Update update = new Update(info(manifest, "", new FunctionCode.Written(0, null), null, "not taken yet"),
                    manifest, null, running);
            updates.put(name, update);
            return update;
        }
    }

    /** A deployment whose code is written, not yet booted. */
    private record Staged(Deployment deployment, Update update) {}

    private Staged stage(FunctionManifest manifest, FunctionCode code, Update update) {
        Path versionDir = store.newVersion(manifest.name());
        try {
            Path codeDir = versionDir.resolve(Deployment.CODE);
            FunctionCode.Written written = code.writeTo(codeDir);
            FunctionInfo info = info(manifest, versionDir.getFileName().toString(), written, null, "not taken yet");
            Update staged = update.withInfo(info);
            synchronized (lifecycle) {
                updates.replace(manifest.name(), update, staged);
            }
            return new Staged(new Deployment(info, manifest, versionDir, codeDir, null), staged);
        } catch (RuntimeException e) {
            store.discard(versionDir);
            throw e;
        }
    }

    private FunctionInfo complete(Staged staged) {
        Deployment staging = staged.deployment();
        Update update = staged.update();
        FunctionManifest manifest = staging.manifest();
        String name = manifest.name();
        Path versionDir = staging.versionDir();
        Path code = staging.codeDir();
        FunctionCode.Written written = new FunctionCode.Written(staging.info().codeBytes(), staging.info().codeSha256());
        String version = staging.info().version();
        Instance instance = null;
        try {
            long bootStart = System.nanoTime();
            instance = factory.boot(staging);
            LOG.info("deploy {}: booted in {} ms", name, (System.nanoTime() - bootStart) / 1_000_000);
            warmUp(instance, manifest);
            prepare(instance);
            Path image = versionDir.resolve(Deployment.SNAPSHOT);
            SnapshotInfo snapshot = null;
            String problem = null;
            try {
                Capturer.Result r = Capturer.capture(instance.process().pid(), image, config.keepDeployed());
                snapshot = new SnapshotInfo(r.imageBytes(), r.storedPages(), Duration.ofNanos(r.durationNanos()), 0, 0);
                LOG.info("deploy {}: snapshot of {} KiB in {} ms", name, r.imageBytes() >> 10,
                        r.durationNanos() / 1_000_000);
                if (config.workingSet()) {
                    snapshot = recordWorkingSet(new Deployment(info(manifest, version, written, snapshot, null),
                            manifest, versionDir, code, image), snapshot);
                }
            } catch (CaptureRefusedException e) {
                problem = e.getMessage();
                LOG.warn("deploy {}: no snapshot, invocations will boot from scratch: {}", name, problem);
            } catch (RestoreFailedException | ImageFormatException e) {
                snapshot = null;
                problem = "the snapshot does not restore: " + e.getMessage();
                LOG.warn("deploy {}: {}; invocations will boot from scratch", name, problem);
            }
            FunctionInfo info = info(manifest, version, written, snapshot, problem);
            Deployment deployment = new Deployment(info, manifest, versionDir, code, snapshot != null ? image : null);
            store.writeMetadata(deployment);
            FunctionState fresh = serving(deployment);
            synchronized (lifecycle) {
                if (updates.get(name) != update) {
                    throw new FunctionNotFoundException(name);          // deleted meanwhile
                }
                store.activate(name, versionDir);
                FunctionState old = functions.put(name, fresh);
                if (old != null) {
                    retire(old);
                }
            }
            Instance booted = instance;
            instance = null;
            if (!config.keepDeployed() || !fresh.pool().adopt(booted)) {
                booted.kill();
            }
            metrics.deployed(name);
            return info;
        } catch (RuntimeException e) {
            if (instance != null) {
                instance.kill();
            }
            discard(versionDir);
            if (e instanceof FunctionInitException init) {
                throw new DeployException("function " + name + " failed to initialize: " + init.getMessage(), e);
            }
            throw e;
        }
    }

    /** Removes a version that did not become current; it may be gone already, with its function. */
    private void discard(Path versionDir) {
        try {
            store.discard(versionDir);
        } catch (UncheckedIOException e) {
            LOG.warn("cannot remove {}: {}", versionDir, e.getMessage());
        }
    }

    /**
     * Restores the new snapshot a few times to record which pages the first invocation touches,
     * then lays the image out by that working set (docs/architecture.md, "working set").
     */
    private SnapshotInfo recordWorkingSet(Deployment d, SnapshotInfo snapshot) {
        long started = System.nanoTime();
        List<WsRange> ws = WorkingSetRecorder.record(d, factory, (instance, event) -> {
            Outcome o = call(instance, event, d.manifest(), instance.takeReseed());
            if (o.failure != null) {
                throw new RestoreFailedException("the restored function failed its first invocation: " + o.failure);
            }
        });
        ImageRewriter.reorder(d.snapshot(), ws);
        long pages = ws.stream().mapToLong(WsRange::pages).sum();
        long written = ws.stream().filter(WsRange::written).mapToLong(WsRange::pages).sum();
        LOG.info("deploy {}: working set of {} pages ({} written) recorded and laid out in {} ms", d.name(), pages,
                written, (System.nanoTime() - started) / 1_000_000);
        try {
            return new SnapshotInfo(Files.size(d.snapshot()), snapshot.storedPages(), snapshot.captureTime(), pages,
                    written);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The warm-up events in rounds until they stop getting faster ({@link WarmUpRounds}). */
    private void warmUp(Instance instance, FunctionManifest m) {
        if (m.warmup().isEmpty()) {
            return;
        }
        WarmUpRounds.Result r;
        try {
            r = WarmUpRounds.run(() -> warmUpRound(instance, m));
        } catch (RuntimeChannel.ClosedException | RuntimeChannel.TimeoutException e) {
            // warmUpRound reports a failed call as a DeployException; these come only from other callers' rounds
            throw new DeployException("warm-up of " + m.name() + " failed: " + e.getMessage());
        }
        LOG.info("deploy {}: {} warm-up round(s) of {} event(s), the fastest {} ms", m.name(), r.rounds(),
                m.warmup().size(), r.fastestNanos() / 1_000_000);
    }

    private void warmUpRound(Instance instance, FunctionManifest m) {
        int n = 0;
        for (JsonNode event : m.warmup()) {
            n++;
            Outcome o = call(instance, event, m, false);
            if (o.failure != null) {
                throw new DeployException("warm-up event " + n + " of " + m.name() + " failed: " + o.failure);
            }
            if (o.result.path("ok").asBoolean()) {
                continue;
            }
            JsonNode error = o.result.path("error");
            throw new DeployException("warm-up event " + n + " of " + m.name() + " raised "
                    + error.path("errorType").asText() + ": " + error.path("errorMessage").asText());
        }
    }

    private void prepare(Instance instance) {
        try {
            JsonNode answer = instance.call(RuntimeChannel.message("prepare"),
                    System.nanoTime() + InstanceFactory.INIT_TIMEOUT.toNanos());
            if (!"prepared".equals(answer.path("type").asText())) {
                throw new DeployException("the runtime did not prepare for the snapshot: " + answer);
            }
        } catch (RuntimeChannel.ClosedException | RuntimeChannel.TimeoutException e) {
            throw new DeployException("the runtime ended while preparing for the snapshot: " + e.getMessage());
        }
    }

    private static FunctionInfo info(FunctionManifest m, String version, FunctionCode.Written code,
            SnapshotInfo snapshot, String problem) {
        return new FunctionInfo(m.name(), m.runtime(), m.handler(), m.memoryMb(), m.timeoutS(), m.maxConcurrency(),
                m.env(), Instant.now(), version, code.bytes(), snapshot, problem, code.sha256());
    }

    /**
     * A deployment that is running, or the last one that failed (reason set). previous is the
     * failed one this deployment replaces, put back if this one is refused before it starts.
     */
    private record Update(FunctionInfo info, FunctionManifest manifest, String reason, Update previous) {
        Update withInfo(FunctionInfo i) {
            return new Update(i, manifest, reason, previous);
        }

        Update failed(String why) {
            return new Update(info, manifest, why, null);
        }

        /** Each deployment is its own: the map's conditional removals must not match an equal one. */
        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
    }

    // ------------------------------------------------------------------ invoke

    /** Invokes a function's current version and waits for its result; a handler error is a result, not an exception. */
    public InvocationResult invoke(String name, byte[] payload, InvokeOptions options) {
        return invoke(name, null, payload, options);
    }

    /**
     * Invokes a function's version ({@code qualifier}: null or $LATEST for the current one, or a
     * published version's number) and waits for its result.
     */
    public InvocationResult invoke(String name, String qualifier, byte[] payload, InvokeOptions options) {
        JsonNode event = parseEvent(payload);
        long start = System.nanoTime();
        while (true) {
            FunctionState f = resolve(name, qualifier);
            try {
                return invoke(f, event, options, start);
            } catch (InstancePool.PoolClosedException e) {
                // redeployed or deleted while we waited: try the current version
            }
        }
    }

    /** Invokes a function's version (see {@link #invoke}) without waiting (invocation type Event); failures are logged. */
    public void invokeAsync(String name, String qualifier, byte[] payload) {
        resolve(name, qualifier);
        JsonNode event = parseEvent(payload);
        async.submit(() -> {
            try {
                InvocationResult r = invoke(name, qualifier, RuntimeChannel.JSON.writeValueAsBytes(event),
                        InvokeOptions.DEFAULT);
                if (r.functionError()) {
                    LOG.warn("asynchronous invocation {} of {} failed: {}", r.requestId(), name,
                            new String(r.payload(), StandardCharsets.UTF_8));
                }
            } catch (RuntimeException | IOException e) {
                LOG.warn("asynchronous invocation of {} failed: {}", name, e.getMessage());
            }
        });
    }

    private static JsonNode parseEvent(byte[] payload) {
        if (payload == null || payload.length == 0) {
            return RuntimeChannel.JSON.createObjectNode();
        }
        try {
            return RuntimeChannel.JSON.readTree(payload);
        } catch (JacksonException e) {
            throw new InvalidPayloadException("the payload is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private InvocationResult invoke(FunctionState f, JsonNode event, InvokeOptions options, long start) {
        Deployment d = f.deployment();
        String name = d.name();
        InstancePool.Lease lease;
        try {
            lease = f.pool().acquire(options.forceCold() || options.forceBoot(),
                    start + config.queueTimeout().toNanos());
        } catch (TooManyRequestsException e) {
            metrics.failed(name, "throttled");
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted while waiting for an instance of " + name);
        }
        long acquired = System.nanoTime();
        Instance instance = lease.instance();
        RestoreTimings restore = null;
        long startNanos = 0;
        if (lease.isNew()) {
            try {
                instance = options.forceBoot() ? factory.boot(d) : startInstance(d);
            } catch (RuntimeException e) {
                factory.replenish();
                f.pool().startFailed();
                metrics.failed(name, "runtime");
                throw e;
            }
            startNanos = System.nanoTime() - acquired;
            metrics.started(name, instance.origin, startNanos);
            if (instance.origin == InvocationPath.RESTORED) {
                restore = instance.process().timings();
            }
        }
        InvocationPath path = lease.isNew() ? instance.origin : InvocationPath.WARM;
        long[] faultsBefore = lease.isNew() ? PageFaults.of(instance.process().pid()) : null;
        long sent = System.nanoTime();
        Outcome o = call(instance, event, d.manifest(), instance.takeReseed());
        long answered = System.nanoTime();
        long[] faults = faultsBefore == null ? new long[] {-1, -1} : PageFaults.since(instance.process().pid(), faultsBefore);
        if (lease.isNew() && !options.forceBoot()) {
            factory.replenish();                // the restore took a zygote (if it got one)
        }
        if (o.failure == null) {
            f.pool().release(instance);
        } else {
            boolean oom = instance.oomKilled();
            f.pool().discard(instance);
            if (oom) {
                o = o.outOfMemory(d.manifest().memoryMb());
            }
        }
        long total = answered - start;
        metrics.invoked(name, path, total);
        InvocationTimings timings = new InvocationTimings(total, acquired - start, startNanos, restore, answered - sent,
                (long) (o.result.path("duration_ms").asDouble() * 1e6), faults[0], faults[1]);
        return result(name, d, o, path, timings, instance.process().pid());
    }

    private Instance startInstance(Deployment d) {
        if (d.hasSnapshot()) {
            try {
                return factory.restore(d);
            } catch (RestoreFailedException | ImageFormatException | ErrnoException | UncheckedIOException e) {
                LOG.warn("restore of {} failed, booting it from scratch instead: {}", d.name(), e.getMessage());
                metrics.restoreFellBack(d.name());
            }
        }
        return factory.boot(d);
    }

    /** What an instance answered, or why it did not (failure: timeout or death). */
    private record Outcome(String requestId, JsonNode result, String failure, String failureType) {
        Outcome outOfMemory(int memoryMb) {
            return new Outcome(requestId, result, "the instance exceeded its memory limit of " + memoryMb + " MB",
                    "Runtime.OutOfMemory");
        }
    }

    private Outcome call(Instance instance, JsonNode event, FunctionManifest m, boolean reseed) {
        String requestId = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + Duration.ofSeconds(m.timeoutS()).toNanos();
        ObjectNode request = RuntimeChannel.message("invoke").put("request_id", requestId)
                .put("function_name", m.name()).put("memory_mb", m.memoryMb())
                .put("deadline_ms", System.currentTimeMillis() + m.timeoutS() * 1000L);
        request.set("event", event);
        if (reseed) {
            byte[] seed = new byte[32];
            entropy.nextBytes(seed);
            request.put("reseed", HexFormat.of().formatHex(seed));
        }
        try {
            return new Outcome(requestId, instance.call(request, deadline), null, null);
        } catch (RuntimeChannel.TimeoutException e) {
            return new Outcome(requestId, RuntimeChannel.JSON.createObjectNode(),
                    String.format("Task timed out after %d.00 seconds", m.timeoutS()), "Sandbox.Timedout");
        } catch (RuntimeChannel.ClosedException e) {
            return new Outcome(requestId, RuntimeChannel.JSON.createObjectNode(),
                    "the runtime exited during the invocation", "Runtime.ExitError");
        }
    }

    private InvocationResult result(String name, Deployment d, Outcome o, InvocationPath path, InvocationTimings t,
            int pid) {
        String functionLog = o.result.path("log").asText("");
        String errorType = null;
        JsonNode payload;
        if (o.failure != null) {
            errorType = o.failureType;
            payload = RuntimeChannel.JSON.createObjectNode().put("errorMessage", o.failure).put("errorType", errorType);
            metrics.failed(name, errorType.equals("Sandbox.Timedout") ? "timeout" : "runtime");
        } else if (o.result.path("ok").asBoolean()) {
            payload = o.result.path("payload");
        } else {
            payload = o.result.path("error");
            errorType = payload.path("errorType").asText("Unhandled");
            metrics.failed(name, "handler");
        }
        String log = lambdaLog(o.requestId, functionLog + (o.failure != null ? o.failure + "\n" : ""), t,
                d.manifest().memoryMb());
        try {
            return new InvocationResult(o.requestId, RuntimeChannel.JSON.writeValueAsBytes(payload), errorType, log, path,
                    t, pid);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** START / output / END / REPORT, as AWS Lambda writes an invocation's log. */
    private static String lambdaLog(String requestId, String output, InvocationTimings t, int memoryMb) {
        double ms = t.totalNanos() / 1e6;
        return "START RequestId: " + requestId + " Version: $LATEST\n" + output + "END RequestId: " + requestId + "\n"
                + String.format(java.util.Locale.ROOT, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms"
                        + "\tMemory Size: %d MB%n", requestId, ms, (long) Math.ceil(ms), memoryMb);
    }

    /** The last 4 KiB of a log, as X-Amz-Log-Result carries it. */
    public static String logTail(String log) {
        byte[] bytes = log.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= LOG_TAIL ? log
                : new String(bytes, bytes.length - LOG_TAIL, LOG_TAIL, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ functions

    /** The deployment a qualifier names; a function still pending or failed is a conflict, as on Lambda. */
    private FunctionState resolve(String name, String qualifier) {
        if (qualifier == null || qualifier.equals(LATEST)) {
            FunctionState f = functions.get(name);
            if (f != null) {
                return f;
            }
            FunctionStatus s = status(name).orElseThrow(() -> new FunctionNotFoundException(name));
            throw new FunctionConflictException("The operation cannot be performed at this time. The function is "
                    + "currently in the following state: " + (s.state() == FunctionStatus.State.PENDING ? "Pending"
                    : "Failed"));
        }
        FunctionState v = published.get(name + ":" + qualifier);
        if (v == null) {
            throw new FunctionNotFoundException(name + ":" + qualifier);
        }
        return v;
    }

    /** The lifecycle of one function, including one whose first deployment runs or failed. */
    public Optional<FunctionStatus> status(String name) {
        synchronized (lifecycle) {
            FunctionState active = functions.get(name);
            Update u = updates.get(name);
            if (u == null) {
                return Optional.ofNullable(active).map(a -> new FunctionStatus(a.deployment().info(),
                        FunctionStatus.State.ACTIVE, FunctionStatus.UpdateStatus.SUCCESSFUL, null));
            }
            boolean failed = u.reason() != null;
            FunctionStatus.State state = active != null ? FunctionStatus.State.ACTIVE
                    : failed ? FunctionStatus.State.FAILED : FunctionStatus.State.PENDING;
            FunctionInfo info = failed && active != null ? active.deployment().info() : u.info();
            return Optional.of(new FunctionStatus(info, state, failed ? FunctionStatus.UpdateStatus.FAILED
                    : FunctionStatus.UpdateStatus.IN_PROGRESS, u.reason()));
        }
    }

    /** Every function's lifecycle, by name. */
    public List<FunctionStatus> statuses() {
        List<String> names;
        synchronized (lifecycle) {
            names = Stream.concat(functions.keySet().stream(), updates.keySet().stream()).distinct()
                    .sorted().toList();
        }
        return names.stream().map(this::status).flatMap(Optional::stream).toList();
    }

    /**
     * Publishes the function's current deployment as a new numbered version, which keeps its
     * code, configuration and snapshot for good; if the newest version already names the current
     * deployment, that version is returned (as Lambda does).
     */
    public FunctionVersion publish(String name) {
        synchronized (lifecycle) {
            FunctionState current = functions.get(name);
            Update u = updates.get(name);
            if (u != null && u.reason() == null) {
                throw new FunctionConflictException("a deployment of " + name + " is in progress");
            }
            if (current == null) {
                throw status(name).isPresent() ? new FunctionConflictException("function " + name + " is not active")
                        : new FunctionNotFoundException(name);
            }
            List<FunctionVersion> existing = versions(name);
            if (!existing.isEmpty() && existing.getLast().info().version().equals(current.deployment().info().version())) {
                return existing.getLast();
            }
            Deployment d = current.deployment();
            int number = store.publish(name, d.versionDir());
            published.put(name + ":" + number, serving(d));
            return new FunctionVersion(number, d.info());
        }
    }

    /** The published versions of a function, by number. */
    public List<FunctionVersion> versions(String name) {
        String prefix = name + ":";
        return published.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .map(e -> new FunctionVersion(Integer.parseInt(e.getKey().substring(prefix.length())),
                        e.getValue().deployment().info()))
                .sorted(Comparator.comparingInt(FunctionVersion::number)).toList();
    }

    public List<FunctionInfo> functions() {
        return functions.values().stream().map(f -> f.deployment().info())
                .sorted(Comparator.comparing(FunctionInfo::name)).toList();
    }

    /** How instances of {@code name}'s current deployment are started. */
    public RuntimeSpec runtimeSpec(String name) {
        FunctionState f = functions.get(name);
        if (f == null) {
            throw new FunctionNotFoundException(name);
        }
        Deployment d = f.deployment();
        RuntimeCommand command = runtimes.of(d.manifest());
        return new RuntimeSpec(d.codeDir(), command.argv(d), command.environment(d), d.manifest().warmup());
    }

    public Optional<FunctionInfo> function(String name) {
        return Optional.ofNullable(functions.get(name)).map(f -> f.deployment().info());
    }

    /**
     * Removes a function with its published versions and stops their instances; a deployment of
     * it still running is discarded when it ends. False if there was no such function.
     */
    public boolean delete(String name) {
        synchronized (lifecycle) {
            FunctionState f = functions.remove(name);
            Update u = updates.remove(name);
            if (f != null) {
                retire(f);
            }
            published.keySet().removeIf(key -> {
                if (key.startsWith(name + ":")) {
                    retire(published.get(key));
                    return true;
                }
                return false;
            });
            return store.remove(name) || f != null || u != null;
        }
    }

    /** The metrics in Prometheus text format. */
    public void writeMetrics(OutputStream out) throws IOException {
        metrics.write(out);
    }

    /** Kills every idle instance now (benchmarks use it before a cold start). */
    public void evictAllIdle() {
        for (FunctionState f : functions.values()) {
            f.pool().evictIdleOlderThan(Duration.ZERO);
        }
    }

    private void evictIdle() {
        for (FunctionState f : Stream.concat(functions.values().stream(), published.values().stream())
                .toList()) {
            try {
                int n = f.pool().evictIdle();
                if (n > 0) {
                    metrics.evicted(f.name(), n);
                    LOG.debug("evicted {} idle instance(s) of {}", n, f.name());
                }
            } catch (RuntimeException e) {
                LOG.warn("eviction of {} failed: {}", f.name(), e.getMessage());
            }
        }
    }

    /** Stops every instance; idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        evictor.shutdownNow();
        async.shutdownNow();
        functions.values().forEach(f -> f.pool().close());
        published.values().forEach(f -> f.pool().close());
        factory.close();
        List.copyOf(factory.live()).forEach(Instance::kill);
        Fds.close(lifeline[1]);
        Fds.close(lifeline[0]);
    }
}
