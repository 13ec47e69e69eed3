package org.haven.api;

/** Where modules put their API methods and cluster-resource contributions. */
public interface ApiRegistry {

    /** Register a method. Registering the same HTTP method twice on one path is an error. */
    void add(ApiMethod method);

    default void addAll(Iterable<ApiMethod> methods) { for (ApiMethod m : methods) add(m); }

    /** Contribute entries to {@code GET /cluster/resources}. */
    void addResources(ClusterResourceProvider provider);
}
