package dev.spice.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How an instance of a deployed function is started: its deployed code directory (the working
 * directory), the command and the environment, and the warm-up events of its manifest. For tools
 * that run the very same runtime another way (the benchmark's CRIU comparison).
 */
public record RuntimeSpec(Path codeDir, List<String> argv, Map<String, String> env, List<JsonNode> warmup) {}
