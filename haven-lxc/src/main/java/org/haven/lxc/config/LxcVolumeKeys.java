package org.haven.lxc.config;

import java.util.LinkedHashMap;
import java.util.Map;

import org.haven.guest.VolumeKeys;

/** A container's volume keys: {@code rootfs} and {@code mp0}…{@code mp255}, the volume under {@code volume}. */
public final class LxcVolumeKeys implements VolumeKeys {

    public static final LxcVolumeKeys INSTANCE = new LxcVolumeKeys();

    private LxcVolumeKeys() {}

    @Override public boolean isVolumeKey(String key) { return LxcOptions.isMountKey(key); }

    @Override public LinkedHashMap<String, String> parse(String key, String value) { return LxcOptions.props(key, value); }

    @Override public String print(String key, Map<String, String> props) { return LxcOptions.print(key, props); }

    @Override public String volumeProperty() { return "volume"; }

    /** PVE's container check refuses bind and device mount points with the words of a volume it cannot replicate. */
    @Override public String pathNotReplicable() { return "cannot add non-replicatable volume to a replicated VM"; }

    /** Bind and device mount points name a host path: not a volume of any storage. */
    @Override public String volume(String key, String value) {
        String v = parse(key, value).get("volume");
        return v == null || v.startsWith("/") ? null : v;
    }
}
