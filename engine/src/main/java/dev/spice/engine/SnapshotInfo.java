package dev.spice.engine;

import java.time.Duration;

/** The snapshot a deployment took: its size and how long the capture took. */
public record SnapshotInfo(long imageBytes, long storedPages, Duration captureTime) {}
