package dev.spice.cli;

import dev.spice.engine.Engine;
import dev.spice.engine.FunctionInfo;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "functions", description = "List the deployed functions.")
final class FunctionsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engine;

    @Mixin
    ServerOptions server;

    @Override
    public Integer call() {
        List<FunctionInfo> functions;
        RemoteEngine remote = server.remote(engine.config().stateDir());
        try (Engine e = remote != null ? null : Engine.open(engine.config())) {
            if (remote != null) {
                functions = remote.functions();
            } else {
                functions = e.functions();
            }
        }
        FunctionTable.print(functions, spec.commandLine().getOut());
        return 0;
    }
}
