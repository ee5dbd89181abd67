package dev.spice.runtime.crac;

/** What org.crac's wrapper of a function's resource implements (as a proxy). */
public interface Resource {
    void beforeCheckpoint(Context<? extends Resource> context) throws Exception;

    void afterRestore(Context<? extends Resource> context) throws Exception;
}
