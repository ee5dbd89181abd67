package dev.spice.engine;

/** A function as the engine runs it: its current deployment and that deployment's instances. */
record FunctionState(Deployment deployment, InstancePool pool) {
    String name() {
        return deployment.name();
    }
}
