package dev.spice.engine;

import java.util.List;
import java.util.Map;

/**
 * How an instance of a function in one language is started: the program and its arguments (the
 * language's runtime shim, docs/runtime-protocol.md) and the environment.
 */
interface RuntimeCommand {
    List<String> argv(Deployment d);

    Map<String, String> environment(Deployment d);
}
