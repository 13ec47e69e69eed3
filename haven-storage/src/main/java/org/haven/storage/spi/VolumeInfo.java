package org.haven.storage.spi;

import org.haven.storage.ContentType;

/**
 * One entry of a content listing, with the fields of PVE's {@code /content} API.
 * {@code used} is -1 when unknown; {@code parent} is the base volume of a linked clone or null;
 * {@code ctime} is epoch seconds or 0.
 */
public record VolumeInfo(String volid, ContentType content, String format, long size, long used, Integer vmid,
                         String parent, long ctime, boolean isProtected, String notes) {

    public VolumeInfo withProtected(boolean p, String n) {
        return new VolumeInfo(volid, content, format, size, used, vmid, parent, ctime, p, n);
    }
}
