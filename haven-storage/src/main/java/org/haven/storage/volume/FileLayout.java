package org.haven.storage.volume;

import java.nio.file.Path;
import java.util.Map;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;

/**
 * Where each content type lives below the base directory of a file-level storage (PVE's {@code get_subdir}),
 * with optional {@code content-dirs} overrides.
 */
public final class FileLayout {
    private FileLayout() {}

    public static String defaultSubdir(ContentType vtype) {
        return switch (vtype) {
            case IMAGES -> "images";
            case ROOTDIR -> "private";
            case ISO -> "template/iso";
            case VZTMPL -> "template/cache";
            case BACKUP -> "dump";
            case SNIPPETS -> "snippets";
            case IMPORT -> "import";
            case NONE -> throw new StorageException("unknown vtype '" + vtype + "'");
        };
    }

    public static Path subdir(Path base, ContentType vtype, Map<ContentType, String> overrides) {
        String o = overrides.get(vtype);
        return base.resolve(o != null ? o : defaultSubdir(vtype));
    }

    /**
     * Path of a dir-style volume (PVE's {@code filesystem_path}): images under {@code images/<vmid>/},
     * linked clones resolved to the clone's own file, other content under its subdirectory.
     */
    public static Path path(Path base, VolumeName vn, Map<ContentType, String> overrides) {
        Path dir = subdir(base, vn.vtype(), overrides);
        return switch (vn.vtype()) {
            case IMAGES -> dir.resolve(String.valueOf(vn.vmid())).resolve(vn.name());
            case ROOTDIR -> dir.resolve(vn.name());
            default -> dir.resolve(vn.name());
        };
    }
}
