package org.haven.cfs;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/** Renders pmxcfs's JSON status files ({@code .vmlist}, {@code .members}, {@code .version}, {@code .clusterlog}). Pure. */
public final class StatusFiles {
    private StatusFiles() {}

    /** Files whose versions {@code .version} reports (pmxcfs's observed files), in pmxcfs order. */
    public static final List<String> OBSERVED = List.of(
            "corosync.conf", "corosync.conf.new", "storage.cfg", "user.cfg", "domains.cfg", "notifications.cfg",
            "priv/notifications.cfg", "priv/shadow.cfg", "priv/acme/plugins.cfg", "priv/tfa.cfg", "priv/token.cfg",
            "datacenter.cfg", "vzdump.cron", "vzdump.conf", "jobs.cfg", "ha/crm_commands", "ha/manager_status",
            "ha/resources.cfg", "ha/groups.cfg", "ha/rules.cfg", "ha/fence.cfg", "status.cfg", "replication.cfg",
            "ceph.conf", "sdn/vnets.cfg", "sdn/zones.cfg", "sdn/controllers.cfg", "sdn/subnets.cfg", "sdn/ipams.cfg",
            "sdn/dns.cfg", "sdn/fabrics.cfg", "sdn/.running-config", "virtual-guest/cpu-models.conf",
            "virtual-guest/profiles.cfg", "firewall/cluster.fw", "mapping/pci.cfg", "mapping/usb.cfg", "mapping/dir.cfg");

    /** One cluster member as {@code .members} shows it. */
    public record Member(String name, int nodeId, boolean online, String ip) {}

    /** One cluster log line. */
    public record LogEntry(long uid, long time, int pri, String tag, long pid, String node, String user, String msg) {}

    /** {@code .vmlist}; {@code fileVersion} gives the version of a config path. */
    public static String vmlist(long version, Collection<CfsPath.GuestConfig> guests, ToLongFunction<String> fileVersion) {
        StringBuilder sb = new StringBuilder("{\n\"version\": ").append(version).append(",\n\"ids\": {");
        boolean first = true;
        for (CfsPath.GuestConfig g : guests.stream().sorted(Comparator.comparingInt(CfsPath.GuestConfig::vmid)).toList()) {
            sb.append(first ? "\n" : ",\n");
            first = false;
            String path = "nodes/" + g.node() + "/" + g.type() + "/" + g.vmid() + ".conf";
            sb.append('"').append(g.vmid()).append("\": { \"node\": ").append(quote(g.node()))
              .append(", \"type\": \"").append(g.vmlistType()).append("\", \"version\": ")
              .append(Math.max(0, fileVersion.applyAsLong(path))).append(" }");
        }
        return sb.append("}\n\n}\n").toString();
    }

    /** {@code .members} of a node that is not part of a cluster. */
    public static String membersLocal(String nodeName, long version) {
        return "{\n\"nodename\": " + quote(nodeName) + ",\n\"version\": " + version + "\n}\n";
    }

    /** {@code .members} of a cluster member. */
    public static String members(String nodeName, long version, String clusterName, long configVersion,
                                 boolean quorate, Collection<Member> members) {
        StringBuilder sb = new StringBuilder("{\n\"nodename\": ").append(quote(nodeName))
                .append(",\n\"version\": ").append(version)
                .append(",\n\"cluster\": { \"name\": ").append(quote(clusterName))
                .append(", \"version\": ").append(configVersion)
                .append(", \"nodes\": ").append(members.size())
                .append(", \"quorate\": ").append(quorate ? 1 : 0).append(" },\n\"nodelist\": {\n");
        boolean first = true;
        for (Member m : members.stream().sorted(Comparator.comparing(Member::name)).toList()) {
            if (!first) sb.append(",\n");
            first = false;
            sb.append("  ").append(quote(m.name())).append(": { \"id\": ").append(m.nodeId())
              .append(", \"online\": ").append(m.online() ? 1 : 0);
            if (m.ip() != null) sb.append(", \"ip\": ").append(quote(m.ip()));
            sb.append("}");
        }
        return sb.append("\n  }\n}\n").toString();
    }

    /** {@code .version}: start time, membership and vmlist versions and the versions of the observed files that exist. */
    public static String version(long startTime, long clinfoVersion, long vmlistVersion, ToLongFunction<String> fileVersion) {
        StringBuilder sb = new StringBuilder("{\n\"starttime\": ").append(startTime)
                .append(",\n\"clinfo\": ").append(clinfoVersion)
                .append(",\n\"vmlist\": ").append(vmlistVersion);
        for (String f : OBSERVED) {
            long v = fileVersion.applyAsLong(f);
            if (v >= 0) sb.append(",\n").append(quote(f)).append(": ").append(v);
        }
        return sb.append("\n}\n").toString();
    }

    /**
     * Node status key under which each node broadcasts its latest RRD samples: lines
     * {@code pve2-node/<node>:<uptime>:<sublevel>:<ctime>:…}, {@code pve2.3-vm/<vmid>:…}, as PVE's pvestatd sends them.
     */
    public static final String RRD_KEY = "rrd";

    /** {@code .rrd}: the most recent RRD sample lines of every node, each line {@code key:data}. */
    public static String rrd(List<byte[]> perNode) {
        StringBuilder sb = new StringBuilder();
        for (byte[] b : perNode) {
            String s = new String(b, java.nio.charset.StandardCharsets.UTF_8);
            sb.append(s);
            if (!s.isEmpty() && !s.endsWith("\n")) sb.append('\n');
        }
        return sb.toString();
    }

    /** {@code .clusterlog}: newest entries first, as pmxcfs lists them. */
    public static String clusterLog(List<LogEntry> newestFirst) {
        StringBuilder sb = new StringBuilder("{\n\"data\": [");
        boolean first = true;
        for (LogEntry e : newestFirst) {
            sb.append(first ? "\n" : ",\n");
            first = false;
            sb.append("{\"uid\": ").append(e.uid()).append(", \"time\": ").append(e.time())
              .append(", \"pri\": ").append(e.pri()).append(", \"tag\": ").append(quote(e.tag()))
              .append(", \"pid\": ").append(e.pid()).append(", \"node\": ").append(quote(e.node()))
              .append(", \"user\": ").append(quote(e.user())).append(", \"msg\": ").append(quote(e.msg())).append('}');
        }
        return sb.append("\n]\n}\n").toString();
    }

    /** JSON string literal. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
