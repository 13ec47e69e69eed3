package org.haven.storage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.storage.plugin.IscsiPlugin;
import org.haven.storage.plugin.Lvm;
import org.haven.storage.spi.CommandRunner;

/** Discovery of storages on this node or on servers (PVE's {@code /nodes/{node}/scan/*} and {@code pvesm *scan}). */
public final class Scanner {
    private final CommandRunner run;

    public Scanner(CommandRunner run) { this.run = run; }

    private String check(List<String> cmd, String what) {
        CommandRunner.Result r = run.run(cmd);
        if (!r.ok()) throw new StorageException(what + " failed: " + (r.stderr().isBlank() ? r.stdout() : r.stderr()).strip());
        return r.stdout();
    }

    /** NFS exports of {@code server} ({@code showmount}): path and allowed clients. */
    public List<Map<String, Object>> nfs(String server) {
        return parseShowmount(check(List.of("showmount", "--no-headers", "--exports", server), "rpc error"));
    }

    public static List<Map<String, Object>> parseShowmount(String out) {
        List<Map<String, Object>> res = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+", 2);
            if (f[0].isEmpty()) continue;
            res.add(row("path", f[0], "options", f.length > 1 ? f[1] : ""));
        }
        return res;
    }

    /** SMB shares of {@code server} ({@code smbclient -L}). */
    public List<Map<String, Object>> cifs(String server, String username, String password, String domain) {
        List<String> cmd = new ArrayList<>(List.of("smbclient", "-m", "smb3", "-d", "0", "-L", server));
        if (username != null) {
            cmd.addAll(List.of("-U", username + "%" + (password == null ? "" : password)));
            if (domain != null) { cmd.add("-W"); cmd.add(domain); }
        } else {
            cmd.add("-N");
        }
        CommandRunner.Result r = run.run(cmd);
        // smbclient reports failures such as NT_STATUS_LOGON_FAILURE on stdout; PVE reports the status code
        var status = java.util.regex.Pattern.compile("(NT_STATUS_\\S+)").matcher(r.stdout() + "\n" + r.stderr());
        if (status.find()) throw new StorageException(status.group(1));
        if (!r.ok()) throw new StorageException("smbclient failed: " + (r.stderr().isBlank() ? r.stdout() : r.stderr()).strip());
        return parseSmbclient(r.stdout());
    }

    public static List<Map<String, Object>> parseSmbclient(String out) {
        List<Map<String, Object>> res = new ArrayList<>();
        for (String line : out.split("\n")) {
            var m = java.util.regex.Pattern.compile("\\s+(\\S+)\\s+Disk\\s*(.*)").matcher(line);
            if (m.matches() && !m.group(1).endsWith("$")) res.add(row("share", m.group(1), "description", m.group(2).strip()));
        }
        return res;
    }

    /** GlusterFS volumes of {@code server}. */
    public List<Map<String, Object>> glusterfs(String server) {
        List<Map<String, Object>> res = new ArrayList<>();
        for (String line : check(List.of("gluster", "--remote-host=" + server, "volume", "info"), "gluster").split("\n")) {
            if (line.startsWith("Volume Name:")) res.add(row("volname", line.substring(12).strip()));
        }
        return res;
    }

    /** iSCSI targets offered by {@code portal}. */
    public List<Map<String, Object>> iscsi(String portal) {
        List<Map<String, Object>> res = new ArrayList<>();
        String out = check(IscsiPlugin.discoveryCommand(portal), "iscsiadm");
        for (var e : IscsiPlugin.parseDiscovery(out).entrySet()) res.add(row("target", e.getKey(), "portal", String.join(",", e.getValue())));
        return res;
    }

    /** Volume groups of this node. */
    public List<Map<String, Object>> lvm() {
        List<Map<String, Object>> res = new ArrayList<>();
        for (Lvm.Vg vg : Lvm.vgs(run).values()) res.add(row("vg", vg.name(), "size", vg.size(), "free", vg.free()));
        return res;
    }

    /** Thin pools in volume group {@code vg}. */
    public List<Map<String, Object>> lvmthin(String vg) {
        List<Map<String, Object>> res = new ArrayList<>();
        for (Lvm.Lv lv : Lvm.lvs(run, vg).values()) {
            if (!lv.isThinPool()) continue;
            res.add(row("lv", lv.name(), "lv_size", lv.size(), "used", (long) (lv.size() * lv.dataPercent() / 100),
                    "metadata_size", lv.metaSize(), "metadata_used", (long) (lv.metaSize() * lv.metaPercent() / 100)));
        }
        return res;
    }

    /** ZFS file systems of this node. */
    public List<Map<String, Object>> zfs() {
        List<Map<String, Object>> res = new ArrayList<>();
        for (String line : check(List.of("zfs", "list", "-t", "filesystem", "-Hp", "-o", "name,avail,used"), "zfs list").split("\n")) {
            String[] f = line.split("\t");
            if (f.length < 3) continue;
            res.add(row("pool", f[0], "size", Long.parseLong(f[1]) + Long.parseLong(f[2]), "free", Long.parseLong(f[1])));
        }
        return res;
    }

    private static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
