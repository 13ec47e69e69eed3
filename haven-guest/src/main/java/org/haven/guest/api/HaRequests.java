package org.haven.guest.api;

import java.util.Optional;
import org.haven.api.Handler;
import org.haven.api.Params;
import org.haven.api.RequestContext;

/**
 * The HA manager as the power methods of a guest type see it: before a guest is started, stopped or shut down, the
 * method asks whether HA manages it, as PVE's API code does. For an HA-managed guest the request goes to HA (a
 * {@code hastart}/{@code hastop} task) instead of acting on the guest.
 */
@FunctionalInterface
public interface HaRequests {

    /**
     * Power action {@code action} ({@code start}, {@code stop}, {@code shutdown}) on guest {@code vmid} of HA type
     * {@code haType} ({@code vm}, {@code ct}) with the method's parameters: the UPID of the task that hands it to HA,
     * or empty when HA does not manage the guest (or the call is part of a migration) and the method acts itself.
     */
    Optional<String> request(String haType, String action, Params p, RequestContext rc) throws Exception;

    /** No HA on the node: every method acts itself. */
    HaRequests NONE = (haType, action, p, rc) -> Optional.empty();

    /** {@code handler} of power action {@code action} for guests of {@code haType}, asking {@code ha} first. */
    static Handler routed(HaRequests ha, String haType, String action, Handler handler) {
        return (p, rc) -> {
            Optional<String> upid = ha.request(haType, action, p, rc);
            return upid.isPresent() ? upid.get() : handler.handle(p, rc);
        };
    }
}
