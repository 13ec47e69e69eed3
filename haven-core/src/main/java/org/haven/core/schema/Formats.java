package org.haven.core.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Named string formats of PVE's schema dialect ({@code pve-vmid}, {@code pve-node}, …). A format is a
 * check that throws {@link FormatException} with PVE's message. Property-string formats (a map of
 * sub-schemas) can be registered by name too, so several methods share one definition.
 *
 * <p>Modules register their own formats at class-initialization time, e.g.
 * {@code Formats.register("pve-qm-ide", Map.of(...))}. Unknown formats are accepted unchecked
 * (PVE dies with "undefined format"; we are lenient so a missing registration does not break a request).
 */
public final class Formats {
    private Formats() {}

    /** A format check failed; the message is PVE's. */
    public static final class FormatException extends RuntimeException {
        public FormatException(String message) { super(message, null, false, false); }
    }

    @FunctionalInterface
    public interface Check { void check(String value); }

    private static final Map<String, Check> CHECKS = new ConcurrentHashMap<>();
    private static final Map<String, Integer> MAX_LENGTH = new ConcurrentHashMap<>();
    private static final Map<String, Map<String, Schema>> PROPERTY_FORMATS = new ConcurrentHashMap<>();

    public static void register(String name, Check check) { CHECKS.put(name, check); }

    /**
     * Register a format whose values are at most {@code maxLength} characters long. The bound is checked before
     * the format (also for every element of a {@code -list}), and {@link Schema#format(String)} copies it into the
     * schema's {@code maxLength}, so every parameter of this format is bounded and the API dump shows it.
     */
    public static void register(String name, int maxLength, Check check) {
        MAX_LENGTH.put(name, maxLength);
        CHECKS.put(name, check);
    }

    /** The length bound of a named format ({@code -opt} variants included), or null when it has none. */
    public static Integer maxLength(String name) {
        if (name == null) return null;
        return MAX_LENGTH.get(name.endsWith("-opt") ? name.substring(0, name.length() - 4) : name);
    }

    public static void register(String name, Map<String, Schema> propertyFormat) { PROPERTY_FORMATS.put(name, propertyFormat); }

    public static boolean isKnown(String name) { return CHECKS.containsKey(name) || PROPERTY_FORMATS.containsKey(name); }

    /** The property-string format registered under {@code name}, or null. */
    public static Map<String, Schema> propertyFormat(String name) { return PROPERTY_FORMATS.get(name); }

    /** Run the named check; a no-op for unknown names. */
    public static void check(String name, String value) {
        Integer max = MAX_LENGTH.get(name);
        if (max != null && value.length() > max) throw new FormatException("value may only be " + max + " characters long");
        Check c = CHECKS.get(name);
        if (c != null) c.check(value);
    }

    /** PVE's split_list: values separated by commas, semicolons, whitespace or NULs; empty parts dropped. */
    public static List<String> splitList(String text) {
        List<String> out = new ArrayList<>();
        if (text == null) return out;
        for (String p : text.split("[,;\\s\\x00]+")) if (!p.isEmpty()) out.add(p);
        return out;
    }

    private static Check regex(String re, String message) {
        Pattern p = Pattern.compile(re);
        return v -> { if (!p.matcher(v).matches()) throw new FormatException(message.replace("%s", v)); };
    }

    public static final String IPV4_OCTET = "(?:25[0-5]|(?:2[0-4]|1[0-9]|[1-9])?[0-9])";
    public static final String IPV4 = "(?:" + IPV4_OCTET + "\\.){3}" + IPV4_OCTET;
    public static final String CONFIGID = "[a-z][a-z0-9_-]+";
    public static final String SAFE_ID = "[a-z][a-z0-9\\-_.]*[a-z0-9]";
    /** The user part of a user ID: PVE's {@code [^\\s:/]+}, without control characters and Unicode line breaks. */
    public static final String USER = "[^\\s:/\\p{Cntrl}\\u0085\\u2028\\u2029]+";
    public static final String REALM = "[A-Za-z][A-Za-z0-9.\\-_]+";
    public static final String TOKEN = "[A-Za-z][A-Za-z0-9.\\-_]+";
    /**
     * Length bounds of IDs. PVE bounds user IDs (64) and realms (32); Haven also bounds the IDs PVE leaves open, so
     * that every ID fits in a URL and a file name: configuration, storage, group, role and pool IDs and token names.
     */
    public static final int USERID_MAX = 64;
    public static final int REALM_MAX = 32;
    public static final int ID_MAX = 64;
    /** A pool ID has up to three levels. */
    public static final int POOLID_MAX = 3 * ID_MAX + 2;
    private static final Pattern NODE = Pattern.compile("[a-zA-Z0-9]([a-zA-Z0-9\\-]*[a-zA-Z0-9])?");

    static boolean isIpv6(String v) {
        if (v.isEmpty() || v.indexOf(':') < 0) return false;
        try {
            if (!v.matches("[0-9a-fA-F:.]+")) return false;
            java.net.InetAddress a = java.net.InetAddress.getByName(v);
            return a instanceof java.net.Inet6Address || v.contains("::ffff:");
        } catch (Exception e) { return false; }
    }

    static boolean isIpv4(String v) { return v.matches(IPV4); }

    /** Validate a user id ({@code user@realm}) with PVE's messages. */
    public static void checkUserid(String u) {
        if (u == null) u = "";
        if (u.length() < 3) throw new FormatException("user name '" + u + "' is too short");
        if (u.length() > USERID_MAX) throw new FormatException("user name '" + u + "' is too long (" + u.length() + " > " + USERID_MAX + ")");
        if (!u.matches("(" + USER + ")@(" + REALM + ")")) throw new FormatException("value '" + u + "' does not look like a valid user name");
    }

    static {
        register("pve-vmid", regex("[1-9][0-9]{2,8}", "value does not look like a valid VM ID"));
        register("pve-node", v -> { if (!NODE.matcher(v).matches() && !isIpv4(v)) throw new FormatException("value does not look like a valid node name"); });
        register("pve-configid", ID_MAX, v -> { if (!v.matches("(?i)" + CONFIGID)) throw new FormatException("invalid configuration ID '" + v + "'"); });
        register("pve-storage-id", ID_MAX, v -> { if (!v.matches("(?i)" + SAFE_ID)) throw new FormatException("storage ID '" + v + "' contains illegal characters"); });
        register("pve-poolid", POOLID_MAX, v -> {
            if (!v.matches("[A-Za-z0-9.\\-_]+(/[A-Za-z0-9.\\-_]+){0,2}")) throw new FormatException("pool name '" + v + "' contains invalid characters");
            for (String level : v.split("/")) if (level.length() > ID_MAX) throw new FormatException("value may only be " + ID_MAX + " characters long");
        });
        register("pve-groupid", ID_MAX, v -> { if (!v.matches("[A-Za-z0-9.\\-_]+")) throw new FormatException("group name '" + v + "' contains invalid characters"); });
        register("pve-roleid", ID_MAX, v -> { if (!v.matches("[A-Za-z0-9.\\-_]+")) throw new FormatException("role name '" + v + "' contains invalid characters"); });
        register("pve-realm", REALM_MAX, v -> { if (!v.matches(REALM)) throw new FormatException("value '" + v + "' does not look like a valid realm"); });
        register("pve-userid", USERID_MAX, Formats::checkUserid);
        register("pve-tokenid", USERID_MAX + 1 + ID_MAX, v -> {
            int bang = v.lastIndexOf('!');
            String name = bang < 0 ? v : v.substring(bang + 1);
            if (bang >= 0) checkUserid(v.substring(0, bang));
            if (!name.matches(TOKEN)) throw new FormatException("value '" + v + "' does not look like a valid token ID");
            if (name.length() > ID_MAX) throw new FormatException("value may only be " + ID_MAX + " characters long");
        });
        register("pve-volume-id", v -> { if (!v.matches("(?i)(" + SAFE_ID + "):(.+)")) throw new FormatException("unable to parse volume ID '" + v + "'"); });
        register("pve-volume-id-or-qm-path", v -> {
            if (!v.startsWith("/") && !v.matches("(?i)(" + SAFE_ID + "):(.+)") && !v.equals("none") && !v.equals("cdrom"))
                throw new FormatException("unable to parse volume ID '" + v + "'");
        });
        register("pve-storage-path", regex("[^\\x00-\\x1f]+", "invalid path"));
        register("pve-iface", regex("[a-zA-Z][a-zA-Z0-9_.\\-]{1,20}", "invalid network interface name '%s'"));
        register("pve-bridge-id", regex("[-_.\\w\\d]+", "invalid bridge ID '%s'"));
        register("pve-priv", regex("[A-Za-z0-9.]+", "invalid privilege '%s'"));
        register("pve-tag", regex("(?i)[a-z0-9_][a-z0-9_\\-+.]*", "invalid tag '%s'"));
        register("pve-ha-resource-or-vm-id", v -> {
            if (!v.matches("[1-9][0-9]{2,8}") && !v.matches("(vm|ct):[1-9][0-9]{2,8}"))
                throw new FormatException("unable to parse HA resource id '" + v + "'");
        });
        register("ipv4", v -> { if (!isIpv4(v)) throw new FormatException("value does not look like a valid IPv4 address"); });
        register("ipv6", v -> { if (!isIpv6(v)) throw new FormatException("value does not look like a valid IPv6 address"); });
        register("ip", v -> { if (!isIpv4(v) && !isIpv6(v)) throw new FormatException("value does not look like a valid IP address"); });
        register("CIDRv4", v -> { if (!v.matches(IPV4 + "/(?:3[0-2]|[12]?[0-9])")) throw new FormatException("value does not look like a valid IPv4 network configuration"); });
        register("CIDRv6", v -> { int i = v.indexOf('/'); if (i < 0 || !isIpv6(v.substring(0, i)) || !v.substring(i + 1).matches("(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])")) throw new FormatException("value does not look like a valid IPv6 network configuration"); });
        register("CIDR", v -> { try { check("CIDRv4", v); } catch (FormatException e) { try { check("CIDRv6", v); } catch (FormatException e2) { throw new FormatException("value does not look like a valid CIDR network"); } } });
        register("IPorCIDR", v -> { if (!isIpv4(v) && !isIpv6(v)) { try { check("CIDR", v); } catch (FormatException e) { throw new FormatException("value does not look like a valid IP address or CIDR network"); } } });
        register("mac-addr", regex("(?i)[a-f0-9][02468ace](?::[a-f0-9]{2}){5}", "value does not look like a valid unicast MAC address"));
        register("dns-name", regex("(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])\\.)*(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\\-]*[A-Za-z0-9])", "value does not look like a valid DNS name"));
        register("address", v -> { if (!isIpv4(v) && !isIpv6(v)) check("dns-name", v); });
        register("email", regex("[\\w+\\-~]+(\\.[\\w+\\-~]+)*@[a-zA-Z0-9\\-]+(\\.[a-zA-Z0-9\\-]+)*", "value does not look like a valid email address"));
        register("email-or-username", v -> {
            if (!v.matches("[\\w+\\-~]+(\\.[\\w+\\-~]+)*@[a-zA-Z0-9\\-]+(\\.[a-zA-Z0-9\\-]+)*") && !v.matches("(" + USER + ")@(" + REALM + ")") && !v.matches(USER))
                throw new FormatException("value does not look like a valid email address or user name");
        });
        register("urlencoded", regex("[%a-zA-Z0-9\\-_.!~*'()]*", "invalid urlencoded string: %s"));
        register("string", v -> {});
        register("disk-size", regex("(\\d+(\\.\\d+)?)([KMGT])?", "value does not look like a valid disk size"));
    }
}
