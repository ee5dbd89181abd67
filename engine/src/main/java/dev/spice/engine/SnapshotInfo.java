package dev.spice.engine;

import java.time.Duration;

/**
 * The snapshot a deployment took: its size, how long the capture took, and its recorded working
 * set (pages the first invocation after a restore touches, and how many of them it writes; 0 if
 * none was recorded).
 */
public record SnapshotInfo(long imageBytes, long storedPages, Duration captureTime, long workingSetPages,
        long workingSetWrittenPages) {}
