package org.haven.replication;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.util.Fields;
import org.haven.guest.migrate.PeerHandler;

/**
 * The new node's side of a migration of a replicated guest (PVE runs {@code pvesr set-state <vmid> <state>} there):
 * {@code PUT /haven/replication/set-state?vmid=<vmid>} with the guest's job states as body ({@code {"<jobid>":{…}}})
 * replaces them in this node's state file, so that its next runs go on incrementally from the last sync.
 */
public final class PeerSetState extends PeerHandler {
    public static final String PATH = "/haven/replication/set-state";

    private final Supplier<ReplicationService> service;

    public PeerSetState(Supplier<ReplicationService> service, Supplier<Optional<Credentials>> access) {
        super(PATH, access);
        this.service = service;
    }

    @Override
    protected String serve(Fields q, InputStream body) {
        int vmid;
        try {
            vmid = Integer.parseInt(String.valueOf(q.getValue("vmid")));
        } catch (NumberFormatException e) {
            throw new Refused(400, "invalid vmid");
        }
        String json;
        try {
            json = new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var jobs = ReplicationState.parseGuest(json);
        service.get().modifyState(s -> { s.putGuest(vmid, jobs); return null; });
        return String.join(",", jobs.keySet());
    }
}
