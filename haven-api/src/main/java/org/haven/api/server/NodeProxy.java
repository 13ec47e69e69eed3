package org.haven.api.server;

/** Forwards a request to the node that must execute it (PVE's proxyto). */
@FunctionalInterface
public interface NodeProxy {
    ApiResponse forward(String node, ApiRequest request, String authid);
}
