package org.haven.lxc.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.haven.guest.config.GuestConfig;

/**
 * The typed view of a container's config section ({@code lxc/<vmid>.conf}, current or a snapshot), with PVE's
 * defaults: arch {@code amd64}, memory 512, swap 512, tty 2, console on, cmode {@code tty}, cpuunits and cpulimit
 * unset. The file itself is {@link GuestConfig}, which keeps unknown keys, comments and the raw {@code lxc.*} keys.
 */
public record CtConfig(Map<String, String> values, List<Map.Entry<String, String>> rawLxc) {

    public static CtConfig of(GuestConfig.Section s) { return new CtConfig(s.values(), s.rawLxc()); }

    public static CtConfig of(Map<String, String> values) { return new CtConfig(values, List.of()); }

    private String get(String key, String def) { return values.getOrDefault(key, def); }
    private int integer(String key, int def) { return values.containsKey(key) ? Integer.parseInt(values.get(key)) : def; }
    private boolean flag(String key, boolean def) { return values.containsKey(key) ? "1".equals(values.get(key)) : def; }

    public String arch() { return get("arch", "amd64"); }
    /** Cores, or null for all of the host's. */
    public Integer cores() { return values.containsKey("cores") ? integer("cores", 0) : null; }
    /** cpulimit, 0 = unlimited. */
    public double cpulimit() { return values.containsKey("cpulimit") ? Double.parseDouble(values.get("cpulimit")) : 0; }
    /** cpuunits, or null for the cgroup's default. */
    public Integer cpuunits() { return values.containsKey("cpuunits") ? integer("cpuunits", 0) : null; }
    /** Memory in MiB. */
    public int memory() { return integer("memory", 512); }
    /** Swap in MiB. */
    public int swap() { return integer("swap", 512); }
    public String hostname() { return values.get("hostname"); }
    /** ostype; null when not set (detected from the template). */
    public String ostype() { return values.get("ostype"); }
    public String nameserver() { return values.get("nameserver"); }
    public String searchdomain() { return values.get("searchdomain"); }
    public boolean unprivileged() { return flag("unprivileged", false); }
    public boolean onboot() { return flag("onboot", false); }
    public boolean protection() { return flag("protection", false); }
    public boolean template() { return flag("template", false); }
    public String startup() { return values.get("startup"); }
    public String tags() { return values.get("tags"); }
    public String lock() { return values.get("lock"); }
    public String timezone() { return values.get("timezone"); }
    public int tty() { return integer("tty", 2); }
    public boolean console() { return flag("console", true); }
    public String cmode() { return get("cmode", "tty"); }

    /** {@code features} as a property map ({@code nesting=1,keyctl=1}). */
    public Map<String, String> features() {
        return values.containsKey("features") ? LxcOptions.props("features", values.get("features")) : Map.of();
    }

    public boolean feature(String name) { return "1".equals(features().get(name)); }

    public MountPoint rootfs() { return values.containsKey("rootfs") ? MountPoint.parse("rootfs", values.get("rootfs")) : null; }

    /** The mount points {@code mpN}, by index. */
    public TreeMap<Integer, MountPoint> mountPoints() {
        TreeMap<Integer, MountPoint> out = new TreeMap<>();
        values.forEach((k, v) -> { if (k.matches("mp\\d+") && LxcOptions.isMountKey(k)) out.put(Integer.parseInt(k.substring(2)), MountPoint.parse(k, v)); });
        return out;
    }

    /** rootfs then the mount points, in mount order (parents before children, as PVE sorts by path). */
    public List<MountPoint> mountsInOrder() {
        List<MountPoint> out = new ArrayList<>();
        if (rootfs() != null) out.add(rootfs());
        List<MountPoint> mps = new ArrayList<>(mountPoints().values());
        mps.sort(java.util.Comparator.comparing(MountPoint::mp));
        out.addAll(mps);
        return out;
    }

    /** The interfaces {@code netN}, by index. */
    public TreeMap<Integer, Net> nets() {
        TreeMap<Integer, Net> out = new TreeMap<>();
        values.forEach((k, v) -> { if (LxcOptions.isNet(k)) { Net n = Net.parse(k, v); out.put(n.index(), n); } });
        return out;
    }
}
