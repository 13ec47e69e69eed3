package org.haven.guest.volume;

/** Resolves a volume id ({@code local:100/vm-100-disk-0.qcow2}) or absolute path to a file and format. */
@FunctionalInterface
public interface VolumeResolver {
    Volume resolve(String volid);
}
