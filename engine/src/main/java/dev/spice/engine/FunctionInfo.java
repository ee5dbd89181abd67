package dev.spice.engine;

import java.time.Instant;
import java.util.Map;

/**
 * A deployed function. snapshot is null when the deployment has none, and snapshotProblem then
 * says why (invocations boot the function from scratch). codeBytes and codeSha256 describe the
 * package deployed: the zip as uploaded, or the files of a directory (codeSha256 is null in
 * deployments made before it was recorded).
 */
public record FunctionInfo(String name, String runtime, String handler, int memoryMb, int timeoutS,
        int maxConcurrency, Map<String, String> env, Instant deployedAt, String version, long codeBytes,
        SnapshotInfo snapshot, String snapshotProblem, String codeSha256) {}
