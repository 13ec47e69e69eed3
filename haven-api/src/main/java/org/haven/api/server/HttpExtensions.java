package org.haven.api.server;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.server.Handler;

/**
 * Raw HTTP handlers that run before the API router, for what is not a JSON method: the web UI's static
 * files, console websockets, downloads. The daemon makes one instance and hands it to the modules that serve
 * such requests; they add their handlers in {@code register}. A handler returns false from
 * {@code handle} for requests it does not serve. Requests on the Unix socket come from root.
 */
public final class HttpExtensions {
    private final List<Handler> handlers = new CopyOnWriteArrayList<>();

    public void add(Handler h) { handlers.add(h); }

    public List<Handler> handlers() { return handlers; }
}
