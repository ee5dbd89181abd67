package dev.spice.runtime.crac;

/** A set of resources notified together; org.crac looks up {@code register(Resource)} on it. */
public abstract class Context<R extends Resource> implements Resource {
    protected Context() {}

    public abstract void register(R resource);
}
