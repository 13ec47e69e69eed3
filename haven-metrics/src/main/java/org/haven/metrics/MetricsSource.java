package org.haven.metrics;

/** Where the node's statistics come from (the daemon collects them from the host, its guests and storages). */
@FunctionalInterface
public interface MetricsSource {
    /** The statistics of this node now, stamped {@code ctime} (epoch seconds). */
    Snapshot collect(long ctime);
}
