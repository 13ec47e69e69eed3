package org.haven.api;

/**
 * A module's contribution to the node: API methods, cluster resources and background work. The daemon
 * ({@code haven-node}'s {@code NodeModules}) creates every module in one place, handing each the services it
 * needs through its constructor. See the package documentation for an example.
 */
public interface ApiModule {

    /** Short name for logs. */
    default String name() { return getClass().getSimpleName(); }

    /** Add methods and resource providers. Must not block or start threads. */
    void register(ApiRegistry registry, NodeContext ctx);

    /** Called once after all modules registered and before the server accepts requests: start background work here. */
    default void start(NodeContext ctx) throws Exception {}

    /** Called on shutdown, in reverse start order. */
    default void stop() throws Exception {}
}
