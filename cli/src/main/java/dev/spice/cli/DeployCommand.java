package dev.spice.cli;

import dev.spice.engine.Engine;
import dev.spice.engine.FunctionInfo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "deploy", description = "Deploy the function in DIR: boot it, run its warm-up events, snapshot it. "
        + "Uses the running server if there is one.")
final class DeployCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    EngineOptions engine;

    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "DIR", description = "directory with spice.yaml and the code")
    Path dir;

    @Override
    public Integer call() {
        FunctionInfo info;
        RemoteEngine remote = server.remote(engine.config().stateDir());
        try (Engine e = remote != null ? null : Engine.open(engine.config())) {
            if (remote != null) {
                info = remote.deploy(dir);
            } else {
                info = e.deploy(dir);
            }
        }
        spec.commandLine().getOut().println(FunctionTable.describe(info));
        return 0;
    }
}
