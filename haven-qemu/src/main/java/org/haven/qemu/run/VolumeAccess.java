package org.haven.qemu.run;

import org.haven.qemu.cmd.CommandBuilder;

/**
 * What the VM code needs from storage: turn a volume id into a path and format, and make volumes usable.
 * {@link #PATHS_ONLY} accepts absolute paths only; the storage module provides the full implementation.
 */
public interface VolumeAccess extends CommandBuilder.VolumeResolver {

    /** Make the volumes usable on this node (activate LVs, …). */
    default void activate(java.util.Collection<String> volids) {}

    VolumeAccess PATHS_ONLY = volid -> {
        if (volid.startsWith("/")) {
            String fmt = volid.endsWith(".qcow2") ? "qcow2" : volid.endsWith(".vmdk") ? "vmdk" : "raw";
            return new CommandBuilder.Volume(volid, fmt);
        }
        int i = volid.indexOf(':');
        String storage = i < 0 ? volid : volid.substring(0, i);
        throw new IllegalArgumentException("storage '" + storage + "' does not exist");
    };
}
