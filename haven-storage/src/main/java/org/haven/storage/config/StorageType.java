package org.haven.storage.config;

import static org.haven.storage.ContentType.BACKUP;
import static org.haven.storage.ContentType.IMAGES;
import static org.haven.storage.ContentType.IMPORT;
import static org.haven.storage.ContentType.ISO;
import static org.haven.storage.ContentType.NONE;
import static org.haven.storage.ContentType.ROOTDIR;
import static org.haven.storage.ContentType.SNIPPETS;
import static org.haven.storage.ContentType.VZTMPL;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.haven.storage.ContentType;
import org.haven.storage.config.PropertyDef.Kind;

/**
 * Every PVE storage type with its plugin data: which properties it takes (and which are fixed, i.e. required at
 * creation and unchangeable later), which content types and image formats it supports, its defaults, and whether
 * it is always shared.
 */
public enum StorageType {
    DIR("dir", false, set(IMAGES, ROOTDIR, VZTMPL, ISO, BACKUP, SNIPPETS, NONE, IMPORT), set(IMAGES, ROOTDIR),
            List.of("raw", "qcow2", "vmdk", "subvol"), "raw",
            "path!", "content-dirs", "nodes", "shared", "disable", "maxfiles", "prune-backups", "max-protected-backups",
            "content", "format", "mkdir", "create-base-path", "create-subdirs", "is_mountpoint", "bwlimit", "preallocation"),
    NFS("nfs", true, set(IMAGES, ROOTDIR, VZTMPL, ISO, BACKUP, SNIPPETS, IMPORT), set(IMAGES),
            List.of("raw", "qcow2", "vmdk"), "raw",
            "path!", "content-dirs", "server!", "export!", "nodes", "disable", "maxfiles", "prune-backups",
            "max-protected-backups", "options", "content", "format", "mkdir", "create-base-path", "create-subdirs",
            "bwlimit", "preallocation"),
    CIFS("cifs", true, set(IMAGES, ROOTDIR, VZTMPL, ISO, BACKUP, SNIPPETS, IMPORT), set(IMAGES),
            List.of("raw", "qcow2", "vmdk"), "raw",
            "path!", "content-dirs", "server!", "share!", "subdir", "nodes", "disable", "maxfiles", "prune-backups",
            "max-protected-backups", "username", "password", "domain", "smbversion", "mkdir", "create-base-path",
            "create-subdirs", "bwlimit", "preallocation", "options", "content", "format"),
    GLUSTERFS("glusterfs", true, set(IMAGES, VZTMPL, ISO, BACKUP, SNIPPETS), set(IMAGES),
            List.of("raw", "qcow2", "vmdk"), "raw",
            "server", "server2", "volume!", "transport", "nodes", "disable", "maxfiles", "prune-backups",
            "max-protected-backups", "content", "format", "mkdir", "bwlimit", "preallocation"),
    LVM("lvm", false, set(IMAGES, ROOTDIR), set(IMAGES),
            List.of("raw"), "raw",
            "vgname!", "nodes", "shared", "disable", "saferemove", "saferemove_throughput", "content", "base?!",
            "tagged_only", "bwlimit"),
    LVMTHIN("lvmthin", false, set(IMAGES, ROOTDIR), set(IMAGES, ROOTDIR),
            List.of("raw"), "raw",
            "thinpool!", "vgname!", "nodes", "disable", "content", "bwlimit"),
    BTRFS("btrfs", false, set(IMAGES, ROOTDIR, VZTMPL, ISO, BACKUP, SNIPPETS, NONE, IMPORT), set(IMAGES, ROOTDIR),
            List.of("raw", "subvol"), "raw",
            "path!", "nodes", "shared", "disable", "maxfiles", "prune-backups", "max-protected-backups", "content",
            "format", "is_mountpoint", "nocow", "mkdir", "preallocation", "bwlimit"),
    ZFSPOOL("zfspool", false, set(IMAGES, ROOTDIR), set(IMAGES, ROOTDIR),
            List.of("raw", "subvol"), "raw",
            "pool!", "blocksize", "sparse", "nodes", "disable", "content", "bwlimit", "mountpoint"),
    ZFS("zfs", true, set(IMAGES), set(IMAGES),
            List.of("raw"), "raw",
            "nodes", "disable", "portal!", "target!", "pool!", "blocksize!", "iscsiprovider!", "nowritecache", "sparse",
            "comstar_hg", "comstar_tg", "lio_tpg", "content", "bwlimit"),
    ISCSI("iscsi", true, set(IMAGES, NONE), set(IMAGES),
            List.of("raw"), "raw",
            "portal!", "target!", "nodes", "disable", "content", "bwlimit"),
    ISCSIDIRECT("iscsidirect", true, set(IMAGES, NONE), set(IMAGES),
            List.of("raw"), "raw",
            "portal!", "target!", "nodes", "disable", "content", "bwlimit"),
    RBD("rbd", true, set(IMAGES, ROOTDIR), set(IMAGES),
            List.of("raw"), "raw",
            "nodes", "content", "krbd", "pool", "data-pool", "namespace", "username", "disable", "bwlimit", "monhost",
            "keyring"),
    CEPHFS("cephfs", true, set(VZTMPL, ISO, BACKUP, SNIPPETS, IMPORT), set(BACKUP),
            List.of(), null,
            "path!", "monhost", "nodes", "subdir", "disable", "shared", "options", "username", "content", "fs-name",
            "fuse", "bwlimit", "maxfiles", "prune-backups", "max-protected-backups", "mkdir", "create-base-path",
            "create-subdirs", "keyring"),
    PBS("pbs", true, set(BACKUP, NONE), set(BACKUP),
            List.of(), null,
            "server!", "datastore!", "namespace", "port", "nodes", "disable", "content", "username", "password",
            "encryption-key", "master-pubkey", "fingerprint", "maxfiles", "prune-backups", "max-protected-backups");

    /** Every property any type knows, with its type and validator. */
    public static final Map<String, PropertyDef> PROPERTIES;

    static {
        Map<String, PropertyDef> p = new TreeMap<>();
        for (PropertyDef d : List.of(
                PropertyDef.of("path", Kind.PATH), PropertyDef.of("content-dirs", Kind.DIR_OVERRIDES),
                PropertyDef.of("nodes", Kind.NODE_LIST), PropertyDef.of("shared", Kind.BOOLEAN),
                PropertyDef.of("disable", Kind.BOOLEAN), PropertyDef.integer("maxfiles", 0, Long.MAX_VALUE),
                PropertyDef.of("prune-backups", Kind.PRUNE), PropertyDef.integer("max-protected-backups", -1, Long.MAX_VALUE),
                PropertyDef.of("content", Kind.CONTENT_LIST), PropertyDef.enumeration("format", "raw", "qcow2", "subvol", "vmdk"),
                PropertyDef.of("mkdir", Kind.BOOLEAN), PropertyDef.of("create-base-path", Kind.BOOLEAN),
                PropertyDef.of("create-subdirs", Kind.BOOLEAN), PropertyDef.of("is_mountpoint", Kind.STRING),
                PropertyDef.of("bwlimit", Kind.BWLIMIT),
                PropertyDef.enumeration("preallocation", "off", "metadata", "falloc", "full"),
                PropertyDef.of("server", Kind.SERVER), PropertyDef.of("server2", Kind.SERVER),
                PropertyDef.of("export", Kind.PATH), PropertyDef.of("options", Kind.OPTIONS),
                PropertyDef.of("share", Kind.STRING), PropertyDef.of("subdir", Kind.PATH),
                PropertyDef.of("username", Kind.STRING), PropertyDef.secret("password"),
                PropertyDef.of("domain", Kind.STRING),
                PropertyDef.enumeration("smbversion", "default", "2.0", "2.1", "3", "3.0", "3.11"),
                PropertyDef.of("volume", Kind.STRING), PropertyDef.enumeration("transport", "tcp", "rdma", "unix"),
                PropertyDef.of("vgname", Kind.VGNAME), PropertyDef.of("saferemove", Kind.BOOLEAN),
                PropertyDef.of("saferemove_throughput", Kind.STRING), PropertyDef.of("base", Kind.VOLUME_ID),
                PropertyDef.of("tagged_only", Kind.BOOLEAN), PropertyDef.of("thinpool", Kind.VGNAME),
                PropertyDef.of("nocow", Kind.BOOLEAN), PropertyDef.of("pool", Kind.STRING),
                PropertyDef.of("blocksize", Kind.STRING), PropertyDef.of("sparse", Kind.BOOLEAN),
                PropertyDef.of("mountpoint", Kind.PATH), PropertyDef.of("portal", Kind.PORTAL),
                PropertyDef.of("target", Kind.STRING), PropertyDef.of("iscsiprovider", Kind.STRING),
                PropertyDef.of("nowritecache", Kind.BOOLEAN), PropertyDef.of("comstar_hg", Kind.STRING),
                PropertyDef.of("comstar_tg", Kind.STRING), PropertyDef.of("lio_tpg", Kind.STRING),
                PropertyDef.of("krbd", Kind.BOOLEAN), PropertyDef.of("data-pool", Kind.STRING),
                PropertyDef.of("namespace", Kind.STRING), PropertyDef.of("monhost", Kind.PORTAL_LIST),
                PropertyDef.secret("keyring"), PropertyDef.of("fs-name", Kind.CONFIG_ID),
                PropertyDef.of("fuse", Kind.BOOLEAN), PropertyDef.of("datastore", Kind.STRING),
                PropertyDef.integer("port", 1, 65535), PropertyDef.secret("encryption-key"),
                PropertyDef.secret("master-pubkey"), PropertyDef.of("fingerprint", Kind.FINGERPRINT))) {
            p.put(d.name(), d);
        }
        PROPERTIES = Collections.unmodifiableMap(p);
        for (StorageType t : values()) {
            for (String k : t.options.keySet()) {
                if (!p.containsKey(k)) throw new ExceptionInInitializerError("no definition for property " + k);
            }
        }
    }

    /** Whether a property is fixed (set at creation, not changeable) and whether it is optional. */
    public record Option(boolean fixed, boolean optional) {}

    private final String id;
    private final boolean alwaysShared;
    private final Set<ContentType> contents;
    private final Set<ContentType> defaultContent;
    private final List<String> formats;
    private final String defaultFormat;
    private final Map<String, Option> options;

    StorageType(String id, boolean alwaysShared, Set<ContentType> contents, Set<ContentType> defaultContent,
                List<String> formats, String defaultFormat, String... opts) {
        this.id = id;
        this.alwaysShared = alwaysShared;
        this.contents = Collections.unmodifiableSet(contents);
        this.defaultContent = Collections.unmodifiableSet(defaultContent);
        this.formats = formats;
        this.defaultFormat = defaultFormat;
        Map<String, Option> o = new LinkedHashMap<>();
        for (String spec : opts) {
            // "name!" = fixed and required, "name?!" = fixed but optional, "name" = optional
            if (spec.endsWith("?!")) o.put(spec.substring(0, spec.length() - 2), new Option(true, true));
            else if (spec.endsWith("!")) o.put(spec.substring(0, spec.length() - 1), new Option(true, false));
            else o.put(spec, new Option(false, true));
        }
        this.options = Collections.unmodifiableMap(o);
    }

    private static Set<ContentType> set(ContentType... c) {
        return Collections.unmodifiableSet(EnumSet.copyOf(Arrays.asList(c)));
    }

    /** Name as written in {@code storage.cfg} section headers. */
    public String id() { return id; }
    /** Types PVE always treats as shared (network storage). */
    public boolean alwaysShared() { return alwaysShared; }
    public Set<ContentType> supportedContent() { return contents; }
    public Set<ContentType> defaultContent() { return defaultContent; }
    public List<String> formats() { return formats; }
    public Optional<String> defaultFormat() { return Optional.ofNullable(defaultFormat); }
    /** Allowed properties (besides {@code type} and the storage ID) in declaration order. */
    public Map<String, Option> options() { return options; }
    /** True for types whose volumes are files below a directory tree (dir-like layout). */
    public boolean isFileBased() {
        return switch (this) {
            case DIR, NFS, CIFS, GLUSTERFS, BTRFS, CEPHFS -> true;
            default -> false;
        };
    }

    public static Optional<StorageType> of(String id) {
        return Arrays.stream(values()).filter(t -> t.id.equals(id)).findFirst();
    }

    @Override public String toString() { return id; }
}
