package org.haven.guest;

import java.util.Optional;
import org.haven.api.server.HttpExtensions;
import org.haven.guest.api.HaRequests;
import org.haven.guest.console.ConsoleSessions;
import org.haven.guest.migrate.ClusterApi;
import org.haven.guest.migrate.GuestReplication;
import org.haven.guest.migrate.PeerHandler;
import org.haven.storage.StorageManager;

/**
 * What the node hands to the modules of a guest type (and to storage replication), built once by the daemon:
 * the node's storage manager, calls to the other nodes as root@pam, the raw HTTP handlers of its server, the
 * access checks of node-to-node requests and console tickets, storage replication and backups.
 *
 * @param cluster     calls to the other nodes' APIs; null for a module alone
 * @param peers       checks the root@pam ticket and CSRF token of node-to-node requests (volume import, replication)
 * @param tickets     console tickets of the node's access control; without them a console hands out local tickets
 * @param replication storage replication of the node's guests
 * @param backups     vzdump, to which the guest types register their guests and which restores an archive on create
 * @param ha          the HA manager, asked by the power methods whether it manages a guest
 */
public record GuestWiring(StorageManager storage, ClusterApi cluster, HttpExtensions http, Optional<PeerHandler.Credentials> peers,
        Optional<ConsoleSessions.Tickets> tickets, Optional<GuestReplication> replication, Optional<GuestBackups> backups,
        HaRequests ha) {

    /**
     * A guest module alone on its node (module tests): storage only (null for a test that only lists its methods), no
     * other node, access control, replication or backups.
     */
    public static GuestWiring alone(StorageManager storage) {
        return new GuestWiring(storage, null, new HttpExtensions(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                HaRequests.NONE);
    }

    /** The same with {@code replication}. */
    public GuestWiring withReplication(GuestReplication replication) {
        return new GuestWiring(storage, cluster, http, peers, tickets, Optional.of(replication), backups, ha);
    }

    /** The same with {@code backups}. */
    public GuestWiring withBackups(GuestBackups backups) {
        return new GuestWiring(storage, cluster, http, peers, tickets, replication, Optional.of(backups), ha);
    }
}
