package dev.spice.engine;

/** A published version of a function: a number that names one deployment (its code, configuration and snapshot) for good. */
public record FunctionVersion(int number, FunctionInfo info) {}
