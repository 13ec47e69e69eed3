package org.haven.firewall.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@code [OPTIONS]} keys allowed at each level and their value checks (PVE 8.4's option schemas). */
public final class FwOptions {
    private FwOptions() {}

    private sealed interface Spec permits Bool, Int, Enum, Helpers, RateLimit {}
    private record Bool() implements Spec {}
    private record Int(long min, long max) implements Spec {}
    private record Enum(List<String> values) implements Spec {}
    private record Helpers() implements Spec {}
    private record RateLimit() implements Spec {}

    private static final List<String> POLICY = List.of("ACCEPT", "REJECT", "DROP");
    private static final Set<String> HELPERS = Set.of("amanda", "ftp", "irc", "netbios-ns", "pptp", "sane", "sip", "snmp", "tftp");

    private static final Map<String, Spec> CLUSTER = new LinkedHashMap<>();
    private static final Map<String, Spec> HOST = new LinkedHashMap<>();
    private static final Map<String, Spec> GUEST = new LinkedHashMap<>();
    private static final Map<String, Spec> VNET = new LinkedHashMap<>();

    static {
        Spec bool = new Bool();
        Spec level = new Enum(FwSyntax.LOG_LEVELS);
        CLUSTER.put("ebtables", bool);
        CLUSTER.put("enable", new Int(0, Long.MAX_VALUE));
        CLUSTER.put("log_ratelimit", new RateLimit());
        CLUSTER.put("policy_forward", new Enum(List.of("ACCEPT", "DROP")));
        CLUSTER.put("policy_in", new Enum(POLICY));
        CLUSTER.put("policy_out", new Enum(POLICY));

        HOST.put("enable", bool);
        HOST.put("log_level_forward", level);
        HOST.put("log_level_in", level);
        HOST.put("log_level_out", level);
        HOST.put("log_nf_conntrack", bool);
        HOST.put("ndp", bool);
        HOST.put("nf_conntrack_allow_invalid", bool);
        HOST.put("nf_conntrack_helpers", new Helpers());
        HOST.put("nf_conntrack_max", new Int(32768, Long.MAX_VALUE));
        HOST.put("nf_conntrack_tcp_timeout_established", new Int(7875, Long.MAX_VALUE));
        HOST.put("nf_conntrack_tcp_timeout_syn_recv", new Int(30, 60));
        HOST.put("nftables", bool);
        HOST.put("nosmurfs", bool);
        HOST.put("protection_synflood", bool);
        HOST.put("protection_synflood_burst", new Int(Long.MIN_VALUE, Long.MAX_VALUE));
        HOST.put("protection_synflood_rate", new Int(Long.MIN_VALUE, Long.MAX_VALUE));
        HOST.put("smurf_log_level", level);
        HOST.put("tcp_flags_log_level", level);
        HOST.put("tcpflags", bool);

        GUEST.put("dhcp", bool);
        GUEST.put("enable", bool);
        GUEST.put("ipfilter", bool);
        GUEST.put("log_level_in", level);
        GUEST.put("log_level_out", level);
        GUEST.put("macfilter", bool);
        GUEST.put("ndp", bool);
        GUEST.put("policy_in", new Enum(POLICY));
        GUEST.put("policy_out", new Enum(POLICY));
        GUEST.put("radv", bool);

        VNET.put("enable", bool);
        VNET.put("log_level_forward", level);
        VNET.put("policy_forward", new Enum(List.of("ACCEPT", "DROP")));
    }

    /** Option keys of a level, in schema order. */
    public static Set<String> keys(FwFile.Kind kind) {
        return specs(kind).keySet();
    }

    private static Map<String, Spec> specs(FwFile.Kind kind) {
        return switch (kind) { case CLUSTER -> CLUSTER; case HOST -> HOST; case GUEST -> GUEST; case VNET -> VNET; };
    }

    /** Null when {@code key: value} is valid at this level, else the error message. */
    public static String check(FwFile.Kind kind, String key, String value) {
        Spec spec = specs(kind).get(key);
        if (spec == null) return "unknown option '" + key + "'";
        return switch (spec) {
            case Bool b -> value.matches("0|1") ? null : "type check ('boolean') failed - got '" + value + "'";
            case Int i -> {
                if (!value.matches("-?\\d{1,18}")) yield "type check ('integer') failed - got '" + value + "'";
                long v = Long.parseLong(value);
                if (v < i.min()) yield "value must have a minimum value of " + i.min();
                if (v > i.max()) yield "value must have a maximum value of " + i.max();
                yield null;
            }
            case Enum e -> e.values().contains(value) ? null
                    : "value '" + value + "' does not have a value in the enumeration '" + String.join(", ", e.values()) + "'";
            case Helpers h -> {
                for (String s : value.split(",", -1)) if (!HELPERS.contains(s)) yield "invalid conntrack helper '" + s + "'";
                yield null;
            }
            case RateLimit r -> checkRateLimit(value);
        };
    }

    private static String checkRateLimit(String value) {
        try {
            var m = org.haven.core.format.PropertyString.parse(value, "enable");
            for (var e : m.entrySet()) {
                switch (e.getKey()) {
                    case "enable" -> { if (!e.getValue().matches("0|1")) return "invalid enable value '" + e.getValue() + "'"; }
                    case "burst" -> { if (!e.getValue().matches("\\d{1,9}")) return "invalid burst value '" + e.getValue() + "'"; }
                    case "rate" -> { if (!e.getValue().matches("[1-9][0-9]*/(second|minute|hour|day)")) return "invalid rate value '" + e.getValue() + "'"; }
                    default -> { return "invalid key '" + e.getKey() + "'"; }
                }
            }
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
