package org.haven.storage.config;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.haven.core.format.PropertyString;

/**
 * One storage property of PVE's storage schema (the union of all plugin properties) with its validator.
 * {@link #check(String)} returns null for a valid value, else PVE's error text for the field.
 */
public record PropertyDef(String name, Kind kind, List<String> enumValues, long min, long max, boolean sensitive) {

    public enum Kind { BOOLEAN, INTEGER, STRING, ENUM, CONTENT_LIST, NODE_LIST, PATH, PRUNE, BWLIMIT, VOLUME_ID,
        PORTAL, PORTAL_LIST, SERVER, VGNAME, CONFIG_ID, FINGERPRINT, OPTIONS, DIR_OVERRIDES }

    static final Pattern NODE = Pattern.compile("(?i)[a-z0-9]([a-z0-9\\-]*[a-z0-9])?");
    static final Pattern CONFIG_ID = Pattern.compile("(?i)[a-z][a-z0-9_\\-]*[a-z0-9]");
    static final Pattern STORAGE_ID = Pattern.compile("(?i)[a-z][a-z0-9\\-_.]*[a-z0-9]");
    static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    static final Pattern DNS = Pattern.compile("(?i)([a-z0-9]([a-z0-9\\-]*[a-z0-9])?\\.)*[a-z0-9]([a-z0-9\\-]*[a-z0-9])?");
    static final Pattern IPV6 = Pattern.compile("(?i)[0-9a-f:]+(%\\w+)?");
    static final Pattern VGNAME = Pattern.compile("[a-zA-Z0-9.+_][a-zA-Z0-9.+_\\-]*");
    static final Pattern FINGERPRINT = Pattern.compile("([A-Fa-f0-9]{2}:){31}[A-Fa-f0-9]{2}");
    static final Pattern OPTIONS = Pattern.compile("[\\w\\-.,=/:]+");
    static final List<String> PRUNE_KEYS = List.of("keep-all", "keep-daily", "keep-hourly", "keep-last", "keep-monthly",
            "keep-weekly", "keep-yearly");
    static final List<String> BWLIMIT_KEYS = List.of("clone", "default", "migration", "move", "restore");

    static PropertyDef of(String name, Kind kind) { return new PropertyDef(name, kind, List.of(), Long.MIN_VALUE, Long.MAX_VALUE, false); }
    static PropertyDef secret(String name) { return new PropertyDef(name, Kind.STRING, List.of(), Long.MIN_VALUE, Long.MAX_VALUE, true); }
    static PropertyDef integer(String name, long min, long max) { return new PropertyDef(name, Kind.INTEGER, List.of(), min, max, false); }
    static PropertyDef enumeration(String name, String... values) { return new PropertyDef(name, Kind.ENUM, List.of(values), 0, 0, false); }

    public boolean isBoolean() { return kind == Kind.BOOLEAN; }

    /** Parse a boolean as PVE does: 1/0, yes/no, on/off, true/false. Null if not a boolean. */
    public static Boolean parseBoolean(String v) {
        if (v == null) return null;
        return switch (v.toLowerCase()) {
            case "1", "yes", "on", "true" -> Boolean.TRUE;
            case "0", "no", "off", "false" -> Boolean.FALSE;
            default -> null;
        };
    }

    /** Returns null when {@code value} is valid, else the error message PVE gives for this field. */
    public String check(String value) {
        if (value == null) return "property is missing and it is not optional";
        switch (kind) {
            case BOOLEAN:
                return parseBoolean(value) == null ? "type check ('boolean') failed - got '" + value + "'" : null;
            case INTEGER: {
                long n;
                try { n = Long.parseLong(value); } catch (NumberFormatException e) {
                    return "type check ('integer') failed - got '" + value + "'";
                }
                if (n < min) return "value must have a minimum value of " + min;
                if (n > max) return "value must have a maximum value of " + max;
                return null;
            }
            case ENUM:
                return enumValues.contains(value) ? null
                        : "value '" + value + "' does not have a value in the enumeration '" + String.join(", ", enumValues) + "'";
            case STRING:
                return null;
            case CONTENT_LIST: {
                for (String c : value.split("[,;\\s]+")) {
                    if (c.isEmpty()) continue;
                    if (org.haven.storage.ContentType.of(c).isEmpty()) return "invalid format - invalid content type '" + c + "'";
                }
                return null;
            }
            case NODE_LIST: {
                for (String n : value.split("[,;\\s]+")) {
                    if (n.isEmpty()) continue;
                    if (!NODE.matcher(n).matches()) return "invalid format - value '" + n + "' does not look like a valid node name";
                }
                return null;
            }
            case PATH:
                return value.matches("/[^;()]+") ? null : "invalid format - value does not look like a valid absolute path";
            case PRUNE:
                return checkPropertyString(value, PRUNE_KEYS, true);
            case BWLIMIT:
                return checkPropertyString(value, BWLIMIT_KEYS, false);
            case VOLUME_ID:
                return value.matches("(?i)[a-z][a-z0-9\\-_.]*[a-z0-9]:.+") ? null
                        : "invalid format - unable to parse volume ID '" + value + "'";
            case PORTAL:
                return isPortal(value) ? null : "invalid format - value does not look like a valid portal address";
            case PORTAL_LIST: {
                for (String p : value.split("[,;\\s]+")) {
                    if (p.isEmpty()) continue;
                    if (!isPortal(p)) return "invalid format - value does not look like a valid portal address";
                }
                return null;
            }
            case SERVER:
                return isHost(value) ? null : "invalid format - value does not look like a valid server name or IP address";
            case VGNAME:
                return VGNAME.matcher(value).matches() ? null : "invalid format - value does not look like a valid volume group name";
            case CONFIG_ID:
                return CONFIG_ID.matcher(value).matches() ? null : "invalid format - invalid configuration ID '" + value + "'";
            case FINGERPRINT:
                return FINGERPRINT.matcher(value).matches() ? null : "value does not match the regex pattern";
            case OPTIONS:
                return OPTIONS.matcher(value).matches() ? null : "invalid format - invalid options";
            case DIR_OVERRIDES: {
                for (String part : value.split("[,;\\s]+")) {
                    if (part.isEmpty()) continue;
                    int eq = part.indexOf('=');
                    if (eq < 0) return "invalid format - missing '=' in '" + part + "'";
                    String ct = part.substring(0, eq);
                    if (org.haven.storage.ContentType.of(ct).isEmpty()) return "invalid format - invalid content type '" + ct + "'";
                    String dir = part.substring(eq + 1);
                    if (dir.isEmpty() || dir.contains("..")) return "invalid format - invalid directory '" + dir + "'";
                }
                return null;
            }
            default:
                return null;
        }
    }

    private static String checkPropertyString(String value, List<String> keys, boolean integers) {
        Map<String, String> parsed;
        try {
            parsed = PropertyString.parse(value, null);
        } catch (IllegalArgumentException e) {
            return "invalid format - " + e.getMessage();
        }
        for (var e : new TreeMap<>(parsed).entrySet()) {
            if (!keys.contains(e.getKey())) return "invalid format - property '" + e.getKey() + "' not defined in schema";
            if (integers) {
                if (e.getKey().equals("keep-all")) {
                    if (parseBoolean(e.getValue()) == null)
                        return "invalid format - " + e.getKey() + ": type check ('boolean') failed - got '" + e.getValue() + "'";
                } else if (!e.getValue().matches("\\d+")) {
                    return "invalid format - " + e.getKey() + ": type check ('integer') failed - got '" + e.getValue() + "'";
                } else if (e.getValue().length() > 9) {
                    return "invalid format - " + e.getKey() + ": value too large";
                }
            } else if (!e.getValue().matches("\\d+(\\.\\d+)?")) {
                return "invalid format - " + e.getKey() + ": type check ('number') failed - got '" + e.getValue() + "'";
            }
        }
        return null;
    }

    static boolean isHost(String v) {
        String h = v;
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        return IPV4.matcher(h).matches() || DNS.matcher(h).matches() || (h.contains(":") && IPV6.matcher(h).matches());
    }

    static boolean isPortal(String v) {
        String host = v;
        String port = null;
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0) return false;
            host = v.substring(1, close);
            String rest = v.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) return false;
                port = rest.substring(1);
            }
        } else if (v.indexOf(':') >= 0 && v.indexOf(':') == v.lastIndexOf(':')) {
            host = v.substring(0, v.indexOf(':'));
            port = v.substring(v.indexOf(':') + 1);
        }
        if (port != null && !port.matches("\\d{1,5}")) return false;
        return isHost(host);
    }
}
