package org.haven.guest.migrate;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import org.haven.core.format.PropertyString;

/**
 * PVE's bandwidth limit of an operation ({@code PVE::Storage::get_bandwidth_limit}), in KiB/s; null means none.
 * Limits are {@code bwlimit} property strings ({@code clone=,default=,migration=,move=,restore=}) of the storages
 * involved and of {@code datacenter.cfg}; for each, the operation's own value or else {@code default} applies, and
 * the lowest applicable value wins, starting from the requested {@code override}. The storages' limits take
 * precedence: the datacenter's apply only when no storage is involved or one of them has no applicable limit. A
 * user who may change a limit may exceed it: {@code Datastore.Allocate} on {@code /storage} (all storages) or
 * {@code /storage/<id>} (that one), {@code Sys.Modify} on {@code /} (the datacenter's). Permissions matter only
 * when an override is requested. Pure.
 */
public final class BandwidthLimit {
    private BandwidthLimit() {}

    /** What the requesting user may change ({@link #ROOT} may change everything). */
    public interface Rights {
        /** {@code Datastore.Allocate} on {@code /storage/<storage>}, or on {@code /storage} when {@code storage} is null. */
        boolean datastoreAllocate(String storage);

        /** {@code Sys.Modify} on {@code /}. */
        boolean sysModify();

        Rights ROOT = new Rights() {
            @Override public boolean datastoreAllocate(String storage) { return true; }
            @Override public boolean sysModify() { return true; }
        };
        Rights NONE = new Rights() {
            @Override public boolean datastoreAllocate(String storage) { return false; }
            @Override public boolean sysModify() { return false; }
        };

        /** The rights of the user of {@code rc} (PVE's checks in get_bandwidth_limit). */
        static Rights of(org.haven.api.RequestContext rc) {
            return new Rights() {
                @Override public boolean datastoreAllocate(String storage) {
                    return rc.hasPermission(storage == null ? "/storage" : "/storage/" + storage, false, "Datastore.Allocate");
                }
                @Override public boolean sysModify() { return rc.hasPermission("/", false, "Sys.Modify"); }
            };
        }
    }

    /**
     * @param operation  {@code migration}, {@code clone}, {@code move} or {@code restore}
     * @param storages   the storages involved (nulls ignored), may be empty
     * @param override   the requested limit ({@code --bwlimit}), null for none
     * @param storageLimit a storage's {@code bwlimit} property string, null when it has none
     * @param datacenter {@code datacenter.cfg}'s {@code bwlimit}, null when unset
     */
    public static Long resolve(String operation, List<String> storages, Long override, Function<String, String> storageLimit,
                               String datacenter, Rights rights) {
        Long[] limit = {override};
        boolean[] useGlobal = {false};
        Function<String, Void> apply = text -> {
            Long l = applicable(operation, text);
            if (l == null) {
                useGlobal[0] = true;
            } else if (limit[0] == null || limit[0] == 0 || l < limit[0]) {
                limit[0] = l;
            }
            return null;
        };
        boolean checked = override != null;
        List<String> involved = storages.stream().filter(Objects::nonNull).toList();
        if (!involved.isEmpty()) {
            if (checked && rights.datastoreAllocate(null)) return override;
            for (String s : new LinkedHashSet<>(involved)) {
                if (!checked || !rights.datastoreAllocate(s)) apply.apply(storageLimit.apply(s));
            }
            if (!useGlobal[0]) return limit[0];
        }
        if (!checked || !rights.sysModify()) apply.apply(datacenter);
        return limit[0];
    }

    /** The value of a {@code bwlimit} string for {@code operation} (or its {@code default}); null when none applies. */
    static Long applicable(String operation, String text) {
        if (text == null || text.isBlank()) return null;
        Map<String, String> m;
        try {
            m = PropertyString.parse(text.strip(), null);
        } catch (RuntimeException e) {
            return null;
        }
        String v = m.getOrDefault(operation, m.get("default"));
        if (v == null || v.isBlank()) return null;
        try {
            return (long) Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** {@code datacenter.cfg}'s {@code bwlimit:} value, or null. */
    public static String datacenter(String datacenterCfg) {
        if (datacenterCfg == null) return null;
        for (String line : datacenterCfg.split("\n")) {
            if (line.startsWith("bwlimit:")) return line.substring("bwlimit:".length()).strip();
        }
        return null;
    }
}
