package org.haven.lxc.gen;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.haven.guest.config.GuestException;
import org.haven.lxc.config.CtConfig;

/**
 * The user namespace id map of a container, as PVE's {@code parse_id_maps} makes it: the container's own
 * {@code lxc.idmap} raw keys when it has any ({@code custom}); otherwise, for an unprivileged container, container
 * ids from 0 mapped to root's range of {@code /etc/subuid}/{@code /etc/subgid} (PVE's {@code 100000:65536} when root
 * has none); a privileged container without raw keys has no map. {@code rootUid}/{@code rootGid} are the host ids
 * of the container's root (0 without a map): the owner of the root directories of its new volumes and of the files
 * it gets from a template or backup.
 */
public record IdMap(List<Entry> entries, boolean custom) {
    /** The range used when root has no subordinate ids ({@code root:100000:65536}, as PVE). */
    public static final HostFacts.IdRange DEFAULT_RANGE = new HostFacts.IdRange(100000, 65536);

    /** One line of the map: {@code type} {@code u} or {@code g}, container id, host id, count. */
    public record Entry(char type, long ct, long host, long count) {
        /** The {@code lxc.idmap} value ({@code u 0 100000 65536}). */
        public String lxc() { return type + " " + ct + " " + host + " " + count; }
    }

    public static final IdMap NONE = new IdMap(List.of(), false);

    public static IdMap of(CtConfig c, HostFacts host) {
        List<Entry> custom = new ArrayList<>();
        for (Map.Entry<String, String> e : c.rawLxc()) {
            if (!e.getKey().equals("lxc.idmap") && !e.getKey().equals("lxc.id_map")) continue;
            String[] f = e.getValue().strip().split("\\s+");
            if (f.length != 4 || !f[0].matches("[ug]") || !f[1].matches("\\d+") || !f[2].matches("\\d+") || !f[3].matches("\\d+"))
                throw new GuestException(500, "failed to parse idmap: " + e.getValue());
            custom.add(new Entry(f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])));
        }
        if (!custom.isEmpty()) return new IdMap(List.copyOf(custom), true);
        if (!c.unprivileged()) return NONE;
        HostFacts.IdRange u = host.uids() == null ? DEFAULT_RANGE : host.uids();
        HostFacts.IdRange g = host.gids() == null ? DEFAULT_RANGE : host.gids();
        return new IdMap(List.of(new Entry('u', 0, u.start(), u.count()), new Entry('g', 0, g.start(), g.count())), false);
    }

    public boolean isEmpty() { return entries.isEmpty(); }

    /** The host uid of the container's root. */
    public long rootUid() { return root('u'); }

    /** The host gid of the container's root. */
    public long rootGid() { return root('g'); }

    private long root(char type) {
        for (Entry e : entries) if (e.type() == type && e.ct() == 0) return e.host();
        return 0;
    }

    /**
     * The prefix that runs a command inside the map ({@code lxc-usernsexec -m u:0:100000:65536 -m g:… --}), as PVE
     * extracts templates and backups of unprivileged containers; empty without a map.
     */
    public List<String> usernsexec() {
        if (entries.isEmpty()) return List.of();
        List<String> out = new ArrayList<>(List.of("lxc-usernsexec"));
        for (Entry e : entries) out.addAll(List.of("-m", e.type() + ":" + e.ct() + ":" + e.host() + ":" + e.count()));
        out.add("--");
        return out;
    }
}
