package org.haven.storage.plugin;

import java.util.ArrayList;
import java.util.List;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.volume.VolumeName;

/**
 * ZFS over iSCSI: zvols on a remote ZFS host managed over ssh ({@code /etc/pve/priv/zfs/<portal>_id_rsa}), exported
 * as LUNs by the target's provider (LIO via {@code targetcli}, comstar via {@code stmfadm}/{@code sbdadm}, istgt,
 * IET) and opened by QEMU as {@code iscsi://<portal>/<target>/<lun>}.
 */
public class ZfsIscsiPlugin extends ZfsPoolPlugin {

    /** Directory holding the ssh keys, {@code <portal>_id_rsa}. */
    public static final String KEY_DIR = "/etc/pve/priv/zfs";

    public ZfsIscsiPlugin(PluginContext ctx) { super(ctx, StorageType.ZFS); }

    static List<String> ssh(StorageEntry s) {
        String portal = s.require("portal");
        return new ArrayList<>(List.of("ssh", "-o", "BatchMode=yes", "-i", KEY_DIR + "/" + portal + "_id_rsa", "root@" + portal));
    }

    @Override
    protected List<String> zfsCommand(StorageEntry s, List<String> args) {
        List<String> cmd = ssh(s);
        cmd.add("zfs");
        cmd.addAll(args);
        return cmd;
    }

    @Override
    public void activateStorage(StorageEntry s) {}

    @Override
    public StorageStatus status(StorageEntry s) { return super.status(s); }

    private String provider(StorageEntry s) { return s.require("iscsiprovider"); }

    /** Device of a zvol on the remote host. */
    static String zvolDevice(StorageEntry s, String name) { return "/dev/" + pool(s) + "/" + name; }

    /** The provider command that exports zvol {@code name} as a LUN. */
    public List<String> createLunCommand(StorageEntry s, String name) {
        List<String> cmd = ssh(s);
        switch (provider(s)) {
            case "LIO" -> cmd.addAll(List.of("targetcli", "/backstores/block", "create", "name=" + pool(s).replace('/', '-') + "-" + name,
                    "dev=" + zvolDevice(s, name)));
            case "comstar" -> cmd.addAll(List.of("stmfadm", "create-lu", "-p", "wcd=" + (s.flag("nowritecache", false) ? "true" : "false"),
                    "/dev/zvol/rdsk/" + pool(s) + "/" + name));
            case "istgt" -> cmd.addAll(List.of("istgtcontrol", "lun", "create", "-t", s.require("target"), zvolDevice(s, name)));
            case "iet" -> cmd.addAll(List.of("ietadm", "--op", "new", "--tid", "1", "--params", "Path=" + zvolDevice(s, name) + ",Type=blockio"));
            default -> throw new StorageException("unknown iscsi provider '" + provider(s) + "'");
        }
        return cmd;
    }

    /** The provider command that maps the backstore into the target (LIO) or adds a view (comstar). */
    public List<String> mapLunCommand(StorageEntry s, String name) {
        List<String> cmd = ssh(s);
        switch (provider(s)) {
            case "LIO" -> cmd.addAll(List.of("targetcli", "/iscsi/" + s.require("target") + "/" + s.get("lio_tpg").orElse("tpg1") + "/luns",
                    "create", "/backstores/block/" + pool(s).replace('/', '-') + "-" + name));
            case "comstar" -> {
                cmd.addAll(List.of("stmfadm", "add-view"));
                s.get("comstar_hg").ifPresent(h -> { cmd.add("-h"); cmd.add(h); });
                s.get("comstar_tg").ifPresent(t -> { cmd.add("-t"); cmd.add(t); });
                cmd.add(name);
            }
            default -> { return List.of(); }
        }
        return cmd;
    }

    /** The provider command that removes the LUN of zvol {@code name}. */
    public List<String> deleteLunCommand(StorageEntry s, String name) {
        List<String> cmd = ssh(s);
        switch (provider(s)) {
            case "LIO" -> cmd.addAll(List.of("targetcli", "/backstores/block", "delete", pool(s).replace('/', '-') + "-" + name));
            case "comstar" -> cmd.addAll(List.of("stmfadm", "delete-lu", name));
            case "istgt" -> cmd.addAll(List.of("istgtcontrol", "lun", "delete", "-t", s.require("target"), zvolDevice(s, name)));
            case "iet" -> cmd.addAll(List.of("ietadm", "--op", "delete", "--tid", "1", "--params", "Path=" + zvolDevice(s, name)));
            default -> throw new StorageException("unknown iscsi provider '" + provider(s) + "'");
        }
        return cmd;
    }

    @Override
    public String alloc(StorageEntry s, int vmid, String fmt, String name, long size) {
        if (fmt != null && !fmt.equals("raw")) throw new StorageException("unsupported format '" + fmt + "'");
        String n = super.alloc(s, vmid, "raw", name, size);
        try {
            run.check(createLunCommand(s, n));
            List<String> map = mapLunCommand(s, n);
            if (!map.isEmpty()) run.check(map);
        } catch (RuntimeException e) {
            run.run(zfsCommand(s, List.of("destroy", "-r", pool(s) + "/" + n)));
            throw e;
        }
        return n;
    }

    @Override
    public void free(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        run.check(deleteLunCommand(s, vn.name()));
        super.free(s, volname);
    }

    /** LUN number of a zvol as reported by the provider (LIO: {@code targetcli ls}); -1 when not found. */
    public int lunOf(StorageEntry s, String name) {
        if (!provider(s).equals("LIO")) return 0;
        List<String> cmd = ssh(s);
        cmd.addAll(List.of("targetcli", "/iscsi/" + s.require("target") + "/" + s.get("lio_tpg").orElse("tpg1") + "/luns", "ls"));
        String out = run.check(cmd);
        var m = java.util.regex.Pattern.compile("lun(\\d{1,9})\\s.*block/" + java.util.regex.Pattern.quote(pool(s).replace('/', '-') + "-" + name) + "\\b").matcher(out);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        if (snap != null) throw new StorageException("snapshot access not implemented for zfs over iscsi");
        VolumeName vn = parseVolname(volname);
        int lun = lunOf(s, vn.name());
        if (lun < 0) throw new StorageException("could not find lun number for '" + vn.name() + "'");
        return "iscsi://" + s.require("portal") + "/" + s.require("target") + "/" + lun;
    }
}
