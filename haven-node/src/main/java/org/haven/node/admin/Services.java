package org.haven.node.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The node's services as PVE lists them ({@code PVE::API2::Services}), mapped to the systemd units that provide
 * them on a Haven node: PVE's own daemons (cluster file system, API, proxy, status, scheduler, firewall, HA) are
 * all parts of {@code havend.service}; the others are the Debian units of the same name ({@code postfix} is
 * {@code postfix@-}). The daemon's parts can only be restarted or reloaded, not started or stopped one by one.
 */
public final class Services {
    private Services() {}

    static final String HAVEND = "havend.service";

    /** Service id to its description, in PVE's order. */
    static final Map<String, String> LIST = new LinkedHashMap<>();
    static {
        LIST.put("chrony", "NTP time synchronisation (chrony)");
        LIST.put("corosync", "Cluster communication (part of havend)");
        LIST.put("cron", "Periodic command scheduler");
        LIST.put("ksmtuned", "Kernel same-page merging tuner");
        LIST.put("postfix", "Mail transfer agent");
        LIST.put("pve-cluster", "Cluster file system (part of havend)");
        LIST.put("pve-firewall", "Firewall (part of havend)");
        LIST.put("pve-ha-crm", "HA cluster resource manager (part of havend)");
        LIST.put("pve-ha-lrm", "HA local resource manager (part of havend)");
        LIST.put("pvedaemon", "API daemon (part of havend)");
        LIST.put("pvefw-logger", "Firewall logger (part of havend)");
        LIST.put("pveproxy", "API and web interface proxy (part of havend)");
        LIST.put("pvescheduler", "Job scheduler (part of havend)");
        LIST.put("pvestatd", "Status daemon (part of havend)");
        LIST.put("spiceproxy", "SPICE proxy (part of havend)");
        LIST.put("sshd", "OpenSSH server");
        LIST.put("syslog", "System logging");
        LIST.put("systemd-journald", "Journal service");
        LIST.put("systemd-timesyncd", "Network time synchronisation (systemd)");
    }

    private static final Set<String> IN_HAVEND = Set.of("corosync", "pve-cluster", "pve-firewall", "pve-ha-crm", "pve-ha-lrm",
            "pvedaemon", "pvefw-logger", "pveproxy", "pvescheduler", "pvestatd", "spiceproxy");

    /** The systemd unit behind service {@code id}. */
    public static String unit(String id) {
        if (IN_HAVEND.contains(id)) return HAVEND;
        if (id.equals("postfix")) return "postfix@-";
        return id;
    }

    /** The {@code systemctl} command of an action ({@code start}, {@code stop}, {@code restart}, {@code reload}) on service {@code id}. */
    public static List<String> command(String id, String action) {
        if (IN_HAVEND.contains(id) && (action.equals("start") || action.equals("stop")))
            throw new IllegalArgumentException("invalid service cmd '" + id + " " + action + "': " + id + " is part of havend");
        String verb = action.equals("reload") ? "try-reload-or-restart" : action;
        return List.of("systemctl", verb, unit(id));
    }

    /** The properties of {@code systemctl show} ({@code Key=value} lines). */
    public static Map<String, String> parseShow(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.substring(0, eq).contains(" ")) out.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return out;
    }

    /** A service's entry as PVE lists it; {@code show} is null when systemd could not be asked. */
    public static Map<String, Object> entry(String id, Map<String, String> show) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("service", id);
        out.put("name", id);
        out.put("desc", LIST.get(id));
        if (show == null) {
            out.put("state", "unknown");
            out.put("active-state", "unknown");
            out.put("unit-state", "unknown");
            return out;
        }
        String state = show.getOrDefault("SubState", "");
        String load = show.getOrDefault("LoadState", "");
        if (load.equals("not-found")) state = "not installed";
        out.put("state", state.isEmpty() ? "unknown" : state);
        out.put("active-state", show.getOrDefault("ActiveState", "").isEmpty() ? "unknown" : show.get("ActiveState"));
        String unitState = show.getOrDefault("UnitFileState", "");
        out.put("unit-state", unitState.isEmpty() ? (load.equals("not-found") ? "not-found" : "unknown") : unitState);
        return out;
    }
}
