package org.haven.api;

import java.util.List;
import org.haven.api.task.TaskWorker;

/** What a handler knows about the request it serves. */
public interface RequestContext {

    /** Who is calling: {@code user@realm}, or {@code user@realm!tokenid} for an API token. */
    String authid();

    /** The user behind {@link #authid()} (the token's owner for a token). */
    default String userid() {
        String a = authid();
        int i = a.indexOf('!');
        return i < 0 ? a : a.substring(0, i);
    }

    default boolean isToken() { return authid().indexOf('!') >= 0; }

    /** The node services. */
    NodeContext node();

    /** True when the request came over the local Unix socket (the CLI tools), where the caller is root@pam. */
    boolean viaCli();

    /** Remote address of the client ("unix" on the socket). */
    String clientAddress();

    /** Does the caller have the privileges on {@code path}? {@code any}: one suffices. */
    default boolean hasPermission(String path, boolean any, String... privs) {
        return node().access().check(authid(), path, List.of(privs), any);
    }

    /** Throw 403 unless the caller has all {@code privs} on {@code path}. */
    default void requirePermission(String path, String... privs) {
        // as PVE's check: the first privilege missing is named with the path
        for (String p : privs) if (!hasPermission(path, false, p)) throw ApiException.forbidden(path + ", " + p);
    }

    /** Throw 403 unless the caller has one of {@code privs} on {@code path} (PVE's {@code check_any}). */
    default void requireAnyPermission(String path, String... privs) {
        if (!hasPermission(path, true, privs)) throw ApiException.forbidden(path + ", " + String.join("|", privs));
    }

    /**
     * Add a top-level attribute to the response envelope beside {@code data}, as PVE's
     * {@code set_result_attrib} (e.g. {@code total} for paged lists).
     */
    default void setResultAttribute(String name, Object value) {}

    /** Start a task owned by the caller; returns the UPID (what PVE's API methods return for long work). */
    default String startTask(String type, String id, TaskWorker worker) {
        return node().tasks().start(type, id == null ? "" : id, authid(), worker);
    }
}
