package org.haven.storage.volume;

import java.util.Optional;
import org.haven.storage.ContentType;

/**
 * A parsed volume name (the part after {@code <storage>:}), as PVE's {@code parse_volname} returns it.
 *
 * @param vtype     content type of the volume
 * @param name      the volume's own name (file name or LV/dataset name)
 * @param vmid      owner VMID, or null for unowned content (ISO, templates, snippets, unowned backups)
 * @param baseName  for linked clones: the name of the base volume, else null
 * @param baseVmid  for linked clones: the owner of the base volume, else null
 * @param isBase    true for {@code base-} volumes of templates
 * @param format    image format ({@code raw}, {@code qcow2}, {@code vmdk}, {@code subvol}), or null
 */
public record VolumeName(ContentType vtype, String name, Integer vmid, String baseName, Integer baseVmid,
                         boolean isBase, String format) {

    public Optional<Integer> owner() { return Optional.ofNullable(vmid); }

    public boolean isLinkedClone() { return baseName != null; }
}
