package org.haven.storage.volume;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;

/**
 * The volume-name grammars of PVE's plugins. Pure functions; every parser fails with PVE's message.
 */
public final class VolumeNames {
    private VolumeNames() {}

    public static final String ISO_EXT = "(?i:\\.(?:iso|img))";
    public static final String VZTMPL_EXT = "(?i:\\.tar\\.(?:gz|xz|zst|bz2))";
    public static final String COMPRESSOR = "gz|lzo|zst|bz2";
    public static final String BACKUP_EXT = "\\.(?:tgz|(?:tar|vma)(?:\\.(?:" + COMPRESSOR + "))?)";
    public static final String IMPORT_EXT = "\\.(?:ova|ovf|qcow2|raw|vmdk)";

    private static final Pattern DIR_NAME = Pattern.compile("((base-)?[^/\\s]+\\.(raw|qcow2|vmdk|subvol))");
    private static final Pattern DIR_CLONE = Pattern.compile("(\\d+)/(\\S+)/(\\d+)/(\\S+)");
    private static final Pattern DIR_IMAGE = Pattern.compile("(\\d+)/(\\S+)");
    private static final Pattern DIR_ISO = Pattern.compile("iso/([^/]+" + ISO_EXT + ")");
    private static final Pattern DIR_VZTMPL = Pattern.compile("vztmpl/([^/]+" + VZTMPL_EXT + ")");
    private static final Pattern DIR_ROOTDIR = Pattern.compile("rootdir/(\\d+)");
    private static final Pattern DIR_BACKUP = Pattern.compile("backup/([^/]+" + BACKUP_EXT + ")");
    private static final Pattern DIR_SNIPPETS = Pattern.compile("snippets/([^/]+)");
    private static final Pattern DIR_IMPORT = Pattern.compile("import/([^/]+" + IMPORT_EXT + ")");
    private static final Pattern BACKUP_OWNER = Pattern.compile("vzdump-(openvz|lxc|qemu)-(\\d+)-.+");
    private static final Pattern LVM_NAME = Pattern.compile("[a-zA-Z0-9+_.\\-]+");
    private static final Pattern LVM_IMAGE = Pattern.compile("((vm|base)-(\\d+)-\\S+)");
    private static final Pattern ZFS_IMAGE = Pattern.compile("(((base|vm)-(\\d+)-\\S+)/)?((base)?(vm|base|subvol|basevol)?-(\\d+)-\\S+)");
    private static final Pattern RBD_IMAGE = Pattern.compile("((base-(\\d+)-\\S+)/)?((base)?(vm)?-(\\d+)-\\S+)");
    private static final Pattern ISCSI_LUN = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\S+)");
    private static final Pattern BTRFS_IMAGE = Pattern.compile("(\\d+)/((?:(base|vm|subvol)-)?\\d+-[^/\\s.]+)\\.(raw|subvol)");

    /** A VMID in a volume name; numbers beyond PVE's VMID range are not volume names. */
    static int vmid(String digits, String volname) {
        if (digits.length() > 9) throw new StorageException("unable to parse volume name '" + volname + "' - VMID out of range");
        return Integer.parseInt(digits);
    }

    /** {@code parse_name_dir}: a file name of an image on a file-level storage. */
    public static String[] parseNameDir(String name) {
        Matcher m = DIR_NAME.matcher(name);
        if (m.matches()) return new String[] {m.group(1), m.group(3), m.group(2) == null ? "" : m.group(2)};
        throw new StorageException("unable to parse volume filename '" + name + "'");
    }

    /** Volume names on dir-like storages (dir, nfs, cifs, glusterfs, cephfs). */
    public static VolumeName parseDir(String volname) {
        Matcher m;
        if ((m = DIR_CLONE.matcher(volname)).matches()) {
            parseNameDir(m.group(2));
            String[] n = parseNameDir(m.group(4));
            return new VolumeName(ContentType.IMAGES, m.group(4), vmid(m.group(3), volname), m.group(2),
                    vmid(m.group(1), volname), !n[2].isEmpty(), n[1]);
        }
        if ((m = DIR_IMAGE.matcher(volname)).matches()) {
            String[] n = parseNameDir(m.group(2));
            return new VolumeName(ContentType.IMAGES, m.group(2), vmid(m.group(1), volname), null, null, !n[2].isEmpty(), n[1]);
        }
        if ((m = DIR_ISO.matcher(volname)).matches()) return new VolumeName(ContentType.ISO, m.group(1), null, null, null, false, "raw");
        if ((m = DIR_VZTMPL.matcher(volname)).matches()) return new VolumeName(ContentType.VZTMPL, m.group(1), null, null, null, false, "raw");
        if ((m = DIR_ROOTDIR.matcher(volname)).matches())
            return new VolumeName(ContentType.ROOTDIR, m.group(1), vmid(m.group(1), volname), null, null, false, null);
        if ((m = DIR_BACKUP.matcher(volname)).matches()) {
            Matcher o = BACKUP_OWNER.matcher(m.group(1));
            Integer vmid = o.matches() ? vmid(o.group(2), volname) : null;
            return new VolumeName(ContentType.BACKUP, m.group(1), vmid, null, null, false, "raw");
        }
        if ((m = DIR_SNIPPETS.matcher(volname)).matches()) return new VolumeName(ContentType.SNIPPETS, m.group(1), null, null, null, false, "raw");
        if ((m = DIR_IMPORT.matcher(volname)).matches()) {
            String f = m.group(1);
            String fmt = f.substring(f.lastIndexOf('.') + 1);
            return new VolumeName(ContentType.IMPORT, f, null, null, null, false, fmt);
        }
        throw new StorageException("unable to parse directory volume name '" + volname + "'");
    }

    /** {@code parse_lvm_name}: a name LVM accepts. */
    public static void checkLvmName(String name) {
        if (!LVM_NAME.matcher(name).matches() || name.startsWith("-"))
            throw new StorageException("lvm name '" + name + "' contains illegal characters");
    }

    /** Volume names on lvm and lvmthin storages: {@code vm-<vmid>-<name>} or {@code base-<vmid>-<name>}. */
    public static VolumeName parseLvm(String volname) {
        checkLvmName(volname);
        Matcher m = LVM_IMAGE.matcher(volname);
        if (m.matches()) return new VolumeName(ContentType.IMAGES, m.group(1), vmid(m.group(3), volname), null, null,
                m.group(2).equals("base"), "raw");
        throw new StorageException("unable to parse lvm volume name '" + volname + "'");
    }

    /** Volume names on zfspool and zfs-over-iSCSI storages, including linked clones {@code base-100-disk-0/vm-101-disk-0}. */
    public static VolumeName parseZfs(String volname) {
        Matcher m = ZFS_IMAGE.matcher(volname);
        if (m.matches()) {
            String name = m.group(5);
            String kind = m.group(7);
            String format = ("subvol".equals(kind) || "basevol".equals(kind)) ? "subvol" : "raw";
            boolean isBase = m.group(6) != null || "base".equals(kind) || "basevol".equals(kind);
            ContentType vtype = ContentType.IMAGES;
            Integer baseVmid = m.group(4) == null ? null : vmid(m.group(4), volname);
            return new VolumeName(vtype, name, vmid(m.group(8), volname), m.group(2), baseVmid, isBase, format);
        }
        throw new StorageException("unable to parse zfs volume name '" + volname + "'");
    }

    /** Volume names on rbd storages. */
    public static VolumeName parseRbd(String volname) {
        Matcher m = RBD_IMAGE.matcher(volname);
        if (m.matches()) {
            Integer baseVmid = m.group(3) == null ? null : vmid(m.group(3), volname);
            return new VolumeName(ContentType.IMAGES, m.group(4), vmid(m.group(7), volname), m.group(2), baseVmid,
                    m.group(5) != null, "raw");
        }
        throw new StorageException("unable to parse rbd volume name '" + volname + "'");
    }

    /** LUN names of iSCSI storages ({@code <channel>.<id>.<lun>.<device>}); LUNs have no owner. */
    public static VolumeName parseIscsi(String volname) {
        Matcher m = ISCSI_LUN.matcher(volname);
        if (m.matches()) return new VolumeName(ContentType.IMAGES, m.group(4), null, null, null, false, "raw");
        throw new StorageException("unable to parse iscsi volume name '" + volname + "'");
    }

    /** iscsidirect LUN names ({@code lun<N>}). */
    public static VolumeName parseIscsiDirect(String volname) {
        if (volname.matches("lun(\\d+)")) return new VolumeName(ContentType.IMAGES, volname, null, null, null, false, "raw");
        throw new StorageException("unable to parse iscsi volume name '" + volname + "'");
    }

    /**
     * Volume names on btrfs storages: images are {@code <vmid>/vm-<vmid>-disk-<n>.raw} (a subvolume holding
     * {@code disk.raw}), container volumes {@code <vmid>/subvol-<vmid>-disk-<n>.subvol}; other content like dir.
     */
    public static VolumeName parseBtrfs(String volname) {
        Matcher m = BTRFS_IMAGE.matcher(volname);
        if (m.matches()) {
            String fmt = m.group(4);
            boolean base = "base".equals(m.group(3));
            return new VolumeName(ContentType.IMAGES, m.group(2) + "." + fmt,
                    vmid(m.group(1), volname), null, null, base, fmt);
        }
        return parseDir(volname);
    }

    /** The unique-name pattern PVE uses for new disks: {@code vm-<vmid>-disk-<n>[.<fmt>]} (or {@code subvol-}). */
    public static String diskName(int vmid, int n, String format, boolean addFormatSuffix) {
        String prefix = "subvol".equals(format) ? "subvol" : "vm";
        String name = prefix + "-" + vmid + "-disk-" + n;
        return addFormatSuffix ? name + "." + format : name;
    }

    /** Check a user-supplied image name for {@code vmid}, as {@code vdisk_alloc} does. */
    public static void checkOwnedName(String name, int vmid) {
        Matcher m = Pattern.compile("(?:base|vm|subvol)-(\\d+)-\\S+").matcher(name);
        if (!m.matches()) throw new StorageException("illegal name '" + name + "' - should be 'vm-" + vmid + "-*'");
        if (vmid(m.group(1), name) != vmid)
            throw new StorageException("illegal name '" + name + "' - should be 'vm-" + vmid + "-*'");
    }

    /** Backup file names: vmtype, vmid and ctime from {@code vzdump-<type>-<vmid>-YYYY_MM_DD-HH_MM_SS.*}. */
    public record BackupFileInfo(String vmtype, int vmid, java.time.LocalDateTime time, String compression) {}

    private static final Pattern BACKUP_FILE = Pattern.compile(
            "vzdump-(openvz|lxc|qemu)-(\\d+)-(\\d{4})_(\\d{2})_(\\d{2})-(\\d{2})_(\\d{2})_(\\d{2})" + "(\\.(?:tgz|tar|vma)(?:\\.(" + COMPRESSOR + "))?)");

    /** Parse a vzdump archive name (without directory), or null when it does not follow the scheme. */
    public static BackupFileInfo parseBackupName(String filename) {
        Matcher m = BACKUP_FILE.matcher(filename);
        if (!m.matches()) return null;
        try {
            var t = java.time.LocalDateTime.of(Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)),
                    Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)), Integer.parseInt(m.group(7)),
                    Integer.parseInt(m.group(8)));
            String type = m.group(1).equals("openvz") ? "openvz" : m.group(1);
            String comp = m.group(10);
            if (comp == null && m.group(9).equals(".tgz")) comp = "gz";
            return new BackupFileInfo(type, vmid(m.group(2), filename), t, comp);
        } catch (java.time.DateTimeException | StorageException e) {
            return null;
        }
    }
}
