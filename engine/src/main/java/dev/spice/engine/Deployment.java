package dev.spice.engine;

import java.nio.file.Path;

/**
 * One deployed version of a function: its manifest, its own copy of the code, and the snapshot
 * (null when the deployment has none).
 */
record Deployment(FunctionInfo info, FunctionManifest manifest, Path versionDir, Path codeDir, Path snapshot) {

    static final String CODE = "code";
    static final String SNAPSHOT = "snapshot.img";
    static final String METADATA = "deployment.json";

    String name() {
        return info.name();
    }

    boolean hasSnapshot() {
        return snapshot != null;
    }
}
