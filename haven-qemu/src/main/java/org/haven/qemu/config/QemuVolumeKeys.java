package org.haven.qemu.config;

import java.util.LinkedHashMap;
import java.util.Map;

import org.haven.guest.VolumeKeys;

/** A VM's volume keys: the drives ({@code ide0}…{@code virtio15}, {@code efidisk0}, {@code tpmstate0}) with their {@code file}. */
public final class QemuVolumeKeys implements VolumeKeys {

    public static final QemuVolumeKeys INSTANCE = new QemuVolumeKeys();

    private QemuVolumeKeys() {}

    @Override public boolean isVolumeKey(String key) { return QemuOptions.isDisk(key); }

    @Override public LinkedHashMap<String, String> parse(String key, String value) { return QemuOptions.props(key, value); }

    @Override public String print(String key, Map<String, String> props) { return QemuOptions.print(key, props); }

    @Override public boolean isMedia(Map<String, String> props) { return "cdrom".equals(props.get("media")); }

    /** EFI vars and TPM state are freed with their key; bus drives become unused volumes. */
    @Override public boolean keepsUnusedOnDelete(String key) { return QemuOptions.isBusDrive(key); }
}
