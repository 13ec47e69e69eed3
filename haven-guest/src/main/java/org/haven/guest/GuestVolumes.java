package org.haven.guest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.haven.core.format.PropertyString;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestException;

/** The volumes of a guest config, for any guest type: drive-like keys, {@code unusedN} and pending changes. */
public final class GuestVolumes {

    private GuestVolumes() {}

    /** The volume of an {@code unusedN} value. */
    public static String unusedVolume(String value) { return PropertyString.parse(value, "file").get("file"); }

    /** Drive-like keys with their volume ids, for the given section (media and {@code none} excluded). */
    public static LinkedHashMap<String, String> disks(VolumeKeys keys, GuestConfig.Section s) {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        diskProps(keys, s.values()).forEach((k, d) -> out.put(k, d.get(keys.volumeProperty())));
        return out;
    }

    /** Drive-like keys (no media) with their parsed properties. */
    public static LinkedHashMap<String, LinkedHashMap<String, String>> diskProps(VolumeKeys keys, Map<String, String> conf) {
        LinkedHashMap<String, LinkedHashMap<String, String>> out = new LinkedHashMap<>();
        for (var e : conf.entrySet()) {
            if (!keys.isVolumeKey(e.getKey())) continue;
            LinkedHashMap<String, String> d = keys.parse(e.getKey(), e.getValue());
            String f = d.get(keys.volumeProperty());
            if (f == null || f.equals("none") || f.equals("cdrom") || keys.isMedia(d)) continue;
            out.put(e.getKey(), d);
        }
        return out;
    }

    /** The volume of any volume key ({@code unusedN} included), or null for other keys. */
    public static String volumeOf(VolumeKeys keys, String key, String value) {
        if (key.startsWith("unused")) return unusedVolume(value);
        return keys.isVolumeKey(key) ? keys.volume(key, value) : null;
    }

    /**
     * PVE's is_volume_in_use: whether {@code volid} is the volume of another key than {@code skipKey} in the
     * config, or of any key of one of its snapshots (a volume a snapshot holds cannot leave the guest).
     */
    public static boolean volumeInUse(VolumeKeys keys, GuestConfig cfg, String skipKey, String volid) {
        for (var e : cfg.current().values().entrySet())
            if (!e.getKey().equals(skipKey) && volid.equals(volumeOf(keys, e.getKey(), e.getValue()))) return true;
        return volumeInSnapshots(keys, cfg, volid);
    }

    /** PVE's is_volume_in_use_by_snapshots: whether a snapshot of the config names {@code volid} in any volume key. */
    public static boolean volumeInSnapshots(VolumeKeys keys, GuestConfig cfg, String volid) {
        for (GuestConfig.Section snap : cfg.snapshots().values())
            for (var e : snap.values().entrySet())
                if (volid.equals(volumeOf(keys, e.getKey(), e.getValue()))) return true;
        return false;
    }

    /** Add {@code volid} as the next free {@code unusedN} unless it is already referenced. */
    public static String addUnused(GuestConfig cfg, String volid) {
        for (int i = 0; i < 256; i++) {
            String v = cfg.current().getOrNull("unused" + i);
            if (v != null && unusedVolume(v).equals(volid)) return "unused" + i;
        }
        for (int i = 0; i < 256; i++) {
            if (!cfg.current().has("unused" + i)) {
                cfg.current().set("unused" + i, volid);
                return "unused" + i;
            }
        }
        throw new GuestException(500, "too many unused volumes");
    }

    /**
     * Move pending values into the config and execute pending deletions (volumes become unused volumes).
     * Returns true when something changed.
     */
    public static boolean applyPending(VolumeKeys keys, GuestConfig cfg) {
        GuestConfig.Section pending = cfg.pending();
        if (pending.isEmpty()) return false;
        for (var e : cfg.pendingDeletes().entrySet()) {
            String key = e.getKey();
            String old = cfg.current().getOrNull(key);
            if (old != null && keys.isVolumeKey(key) && keys.keepsUnusedOnDelete(key)) {
                Map<String, String> d = keys.parse(key, old);
                String file = d.get(keys.volumeProperty());
                if (file != null && !keys.isMedia(d) && !file.equals("none") && !file.startsWith("/")) addUnused(cfg, file);
            }
            cfg.current().remove(key);
        }
        for (var e : new TreeMap<>(pending.values()).entrySet()) {
            if (e.getKey().equals("delete")) continue;
            cfg.current().set(e.getKey(), e.getValue());
        }
        if (pending.description() != null) cfg.current().description(pending.description());
        cfg.pending().values().clear();
        cfg.pending().description(null);
        return true;
    }

    /** PVE disk sizes: a number with an optional K/M/G/T suffix (bytes without suffix). */
    public static long parseSize(String s) {
        if (s == null || s.isEmpty()) return 0;
        char u = Character.toUpperCase(s.charAt(s.length() - 1));
        double n;
        long mul = 1;
        if (Character.isDigit(u)) n = Double.parseDouble(s);
        else {
            n = Double.parseDouble(s.substring(0, s.length() - 1));
            mul = switch (u) { case 'K' -> 1L << 10; case 'M' -> 1L << 20; case 'G' -> 1L << 30; case 'T' -> 1L << 40; default -> 1; };
        }
        return (long) (n * mul);
    }

    /** PVE's format_size: the largest unit that divides the size exactly ({@code 8G}, {@code 51M}). */
    public static String formatSize(long bytes) {
        String[] units = {"T", "G", "M", "K"};
        long[] mul = {1L << 40, 1L << 30, 1L << 20, 1L << 10};
        for (int i = 0; i < units.length; i++) {
            if (bytes >= mul[i] && bytes % mul[i] == 0) return (bytes / mul[i]) + units[i];
        }
        return Long.toString(bytes);
    }

    /** The new size of a volume of {@code current} bytes for a resize to {@code size} ({@code 8G}, or {@code +1G} to grow by). */
    public static long targetSize(long current, String size) {
        boolean relative = size.startsWith("+");
        long amount = parseSize(relative ? size.substring(1) : size);
        long target = relative ? current + amount : amount;
        if (target < current) throw new GuestException(500, "shrinking disks is not supported");
        return target;
    }
}
