package org.haven.lxc.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A container mount point ({@code rootfs} or {@code mpN}): a storage volume, a bind mount of a host directory or a
 * host block device (PVE's {@code classify_mountpoint}).
 */
public record MountPoint(String key, Map<String, String> props) {

    public enum Kind { VOLUME, BIND, DEVICE }

    public static MountPoint parse(String key, String value) { return new MountPoint(key, LxcOptions.props(key, value)); }

    public String volume() { return props.get("volume"); }

    /** Where it is mounted inside the container: {@code /} for the rootfs. */
    public String mp() { return key.equals("rootfs") ? "/" : props.get("mp"); }

    public Kind kind() {
        String v = volume();
        if (v.startsWith("/dev/")) return Kind.DEVICE;
        return v.startsWith("/") ? Kind.BIND : Kind.VOLUME;
    }

    public boolean flag(String name) { return "1".equals(props.get(name)); }

    public boolean ro() { return flag("ro"); }

    /** Mount options ({@code noatime;nodev}) as the {@code mount -o} list, or empty. */
    public String mountOptions() { return props.getOrDefault("mountoptions", "").replace(';', ','); }

    /** A copy naming another volume. */
    public MountPoint withVolume(String volid) {
        LinkedHashMap<String, String> p = new LinkedHashMap<>(props);
        p.put("volume", volid);
        return new MountPoint(key, p);
    }

    public MountPoint with(String prop, String value) {
        LinkedHashMap<String, String> p = new LinkedHashMap<>(props);
        p.put(prop, value);
        return new MountPoint(key, p);
    }

    public String print() { return LxcOptions.print(key, props); }
}
