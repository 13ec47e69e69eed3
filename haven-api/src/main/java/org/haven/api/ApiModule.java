package org.haven.api;

/**
 * A module's contribution to the node: API methods, cluster resources, published services and background
 * work. Implementations are found with {@link java.util.ServiceLoader}: list the class in
 * {@code src/main/resources/META-INF/services/org.haven.api.ApiModule} of your module and give it a public
 * no-argument constructor. See the package documentation for an example.
 */
public interface ApiModule {

    /** Short name for logs. */
    default String name() { return getClass().getSimpleName(); }

    /** Add methods and resource providers, publish services. Must not block or start threads. */
    void register(ApiRegistry registry, NodeContext ctx);

    /** Called once after all modules registered and before the server accepts requests: start background work here. */
    default void start(NodeContext ctx) throws Exception {}

    /** Called on shutdown, in reverse start order. */
    default void stop() throws Exception {}

    /**
     * Every module on the class path; a provider that cannot be loaded is reported to {@code onError} and
     * skipped, so one broken module does not take the others down.
     */
    static java.util.List<ApiModule> discover(java.util.function.Consumer<Throwable> onError) {
        return Discovery.load(ApiModule.class, onError);
    }
}
