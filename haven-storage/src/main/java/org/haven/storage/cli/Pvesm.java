package org.haven.storage.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliTool;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.format.SectionConfig;
import org.haven.storage.StorageException;
import org.haven.storage.StorageManager;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.volume.VolumeId;
import tools.jackson.databind.JsonNode;

/**
 * {@code pvesm}, the storage manager: PVE's subcommands, options (from the API schema) and text output.
 * {@code export}, {@code import} and {@code extractconfig} run the storage code in the tool itself (they stream
 * volume data through stdin/stdout), reading the storage configuration from the daemon.
 */
public final class Pvesm implements CliTool {
    /** Storage plugin API version and age, as PVE 8.4's {@code pvesm apiinfo} reports them. */
    public static final int APIVER = 11;
    public static final int APIAGE = 2;

    @Override public String name() { return "pvesm"; }

    @Override public String description() { return "Proxmox VE Storage Manager"; }

    @Override
    public List<CliCommand> commands() {
        List<CliCommand> c = new ArrayList<>();
        c.add(CliCommand.api("add", HttpMethod.POST, "/storage").positional("type", "storage").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("set", HttpMethod.PUT, "/storage/{storage}").positional("storage").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("remove", HttpMethod.DELETE, "/storage/{storage}").positional("storage").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("status", HttpMethod.GET, "/nodes/{node}/storage").fixed("node", CliCommand.LOCAL_NODE)
                .printer((data, out) -> printStatus(data, out)));
        c.add(CliCommand.api("list", HttpMethod.GET, "/nodes/{node}/storage/{storage}/content").positional("storage")
                .fixed("node", CliCommand.LOCAL_NODE).printer((data, out) -> printContent(data, out)));
        c.add(CliCommand.api("alloc", HttpMethod.POST, "/nodes/{node}/storage/{storage}/content")
                .positional("storage", "vmid", "filename", "size").fixed("node", CliCommand.LOCAL_NODE)
                .printer((data, out) -> out.println("successfully created '" + data.asString() + "'")));
        c.add(CliCommand.local("free", HttpMethod.DELETE, "/nodes/{node}/storage/{storage}/content/{volume}", Pvesm::free)
                .positional("volume").fixed("node", CliCommand.LOCAL_NODE).description("Delete volume"));
        c.add(CliCommand.local("path", Pvesm::path).positional("volume").description("Get filesystem path for specified volume"));
        c.add(CliCommand.local("prune-backups", HttpMethod.GET, "/nodes/{node}/storage/{storage}/prunebackups", Pvesm::prune)
                .positional("storage").fixed("node", CliCommand.LOCAL_NODE)
                .description("Prune backups. Only those using the standard naming scheme are considered. Use --dry-run to only show what would be removed."));
        c.add(CliCommand.local("export", Pvesm::export).positional("volume", "format", "filename")
                .description("Used internally to export a volume."));
        c.add(CliCommand.local("import", Pvesm::importVolume).positional("volume", "format", "filename")
                .description("Used internally to import a volume."));
        c.add(CliCommand.local("apiinfo", inv -> {
            inv.out().println("APIVER " + APIVER);
            inv.out().println("APIAGE " + APIAGE);
            return 0;
        }).description("Returns APIVER and APIAGE."));
        c.add(CliCommand.local("extractconfig", Pvesm::extractConfig).positional("volume")
                .description("Extract configuration from vzdump backup archive."));
        String[][] scans = {
                {"nfs", "/nodes/{node}/scan/nfs", "server"}, {"cifs", "/nodes/{node}/scan/cifs", "server"},
                {"glusterfs", "/nodes/{node}/scan/glusterfs", "server"}, {"iscsi", "/nodes/{node}/scan/iscsi", "portal"},
                {"lvm", "/nodes/{node}/scan/lvm", null}, {"lvmthin", "/nodes/{node}/scan/lvmthin", "vg"}, {"zfs", "/nodes/{node}/scan/zfs", null}};
        for (String[] s : scans) {
            for (String words : List.of("scan " + s[0], s[0] + "scan")) {
                CliCommand cmd = CliCommand.api(words, HttpMethod.GET, s[1]).fixed("node", CliCommand.LOCAL_NODE)
                        .printer((data, out) -> printScan(s[0], data, out));
                if (s[2] != null) cmd.positional(s[2]);
                c.add(cmd);
            }
        }
        return c;
    }

    // ---- printers (PVE's text output) ---------------------------------------------------------------------------

    static void printStatus(JsonNode data, PrintStream out) {
        int maxlen = 0;
        List<JsonNode> rows = new ArrayList<>();
        for (JsonNode r : data) {
            rows.add(r);
            maxlen = Math.max(maxlen, r.path("storage").asString().length());
        }
        maxlen += 1;
        rows.sort(Comparator.comparing(r -> r.path("storage").asString()));
        out.printf("%-" + maxlen + "s %10s %10s %15s %15s %15s %8s%n", "Name", "Type", "Status", "Total", "Used", "Available", "%");
        for (JsonNode r : rows) {
            String active = r.path("active").asInt() != 0 ? "active" : "inactive";
            long total = r.path("total").asLong();
            long used = r.path("used").asLong();
            String per = total > 0 ? String.format("% 7.2f%%", used * 100.0 / total) : String.format("% 7.2f%%", 0.0);
            if (r.path("enabled").asInt(1) == 0) {
                per = String.format("%8s", "N/A");
                active = "disabled";
            }
            out.printf("%-" + maxlen + "s %10s %10s %15d %15d %15d %s%n", r.path("storage").asString(), r.path("type").asString(),
                    active, total / 1024, used / 1024, r.path("avail").asLong() / 1024, per);
        }
    }

    static void printContent(JsonNode data, PrintStream out) {
        int maxName = 0;
        long maxSize = 0;
        List<JsonNode> rows = new ArrayList<>();
        for (JsonNode r : data) {
            rows.add(r);
            maxName = Math.max(maxName, r.path("volid").asString().length());
            maxSize = Math.max(maxSize, r.path("size").asLong());
        }
        int digits = String.valueOf(maxSize).length();
        String base = "%-" + maxName + "s %-7s %-9s %" + digits + "s";
        out.printf(base + " %s%n", "Volid", "Format", "Type", "Size", "VMID");
        for (JsonNode r : rows) {
            if (!r.has("vmid")) continue;
            out.printf(base + " %d%n", r.path("volid").asString(), r.path("format").asString(), r.path("content").asString(),
                    r.path("size").asLong(), r.path("vmid").asLong());
        }
        rows.sort(Comparator.comparing(r -> r.path("format").asString()));
        for (JsonNode r : rows) {
            if (r.has("vmid")) continue;
            out.printf(base + "%n", r.path("volid").asString(), r.path("format").asString(), r.path("content").asString(),
                    r.path("size").asLong());
        }
    }

    static void printScan(String kind, JsonNode data, PrintStream out) {
        int maxlen = 0;
        String first = switch (kind) { case "nfs" -> "path"; case "cifs" -> "share"; case "iscsi" -> "target"; default -> null; };
        if (first != null) for (JsonNode r : data) maxlen = Math.max(maxlen, r.path(first).asString().length());
        for (JsonNode r : data) {
            switch (kind) {
                case "nfs" -> out.printf("%-" + maxlen + "s %s%n", r.path("path").asString(), r.path("options").asString());
                case "cifs" -> out.printf("%-" + maxlen + "s %s%n", r.path("share").asString(), r.path("description").asString());
                case "iscsi" -> out.printf("%-" + maxlen + "s %s%n", r.path("target").asString(), r.path("portal").asString());
                case "glusterfs" -> out.println(r.path("volname").asString());
                case "lvm" -> out.println(r.path("vg").asString());
                case "lvmthin" -> out.println(r.path("lv").asString());
                default -> out.println(r.path("pool").asString());
            }
        }
    }

    static void printPrune(JsonNode data, PrintStream out) {
        List<JsonNode> rows = new ArrayList<>();
        int maxlen = 0;
        for (JsonNode r : data) {
            rows.add(r);
            maxlen = Math.max(maxlen, r.path("volid").asString().length());
        }
        if (rows.isEmpty()) {
            out.println("NOTE: no backups found");
            return;
        }
        rows.sort(Comparator.<JsonNode>comparingLong(r -> r.path("vmid").asLong(-1)).thenComparing(r -> -r.path("ctime").asLong()));
        out.printf("%-" + maxlen + "s %15s %10s%n", "Backup", "Backup-ID", "Prune-Mark");
        for (JsonNode r : rows) {
            String type = r.path("type").asString("");
            String id = r.has("vmid") ? type + "/" + r.path("vmid").asLong() : type;
            out.printf("%-" + maxlen + "s %15s %10s%n", r.path("volid").asString(), id, r.path("mark").asString());
        }
    }

    // ---- local actions --------------------------------------------------------------------------------------------

    static String str(CliInvocation inv, String key) {
        Object v = inv.params().get(key);
        return v == null ? null : String.valueOf(v);
    }

    static String popArg(CliInvocation inv, String key, int index) {
        String v = str(inv, key);
        if (v != null) return v;
        return inv.args().size() > index ? inv.args().get(index) : null;
    }

    static String option(CliInvocation inv, String name) {
        Object v = inv.params().get(name);
        if (v != null) return String.valueOf(v);
        List<String> a = inv.args();
        for (int i = 0; i < a.size(); i++) {
            String x = a.get(i);
            if (x.equals("--" + name) || x.equals("-" + name)) return i + 1 < a.size() && !a.get(i + 1).startsWith("-") ? a.get(i + 1) : "1";
            if (x.startsWith("--" + name + "=")) return x.substring(name.length() + 3);
        }
        return null;
    }

    static boolean flag(CliInvocation inv, String name) {
        String v = option(inv, name);
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes") || v.equalsIgnoreCase("on"));
    }

    /** Wait for a task and print its log; returns 0 when it ended OK. */
    static int follow(CliInvocation inv, String upid) throws InterruptedException {
        ApiClient c = inv.client();
        String node = upid.split(":")[1];
        String status;
        while (true) {
            JsonNode st = c.call(HttpMethod.GET, "/nodes/" + node + "/tasks/" + upid + "/status", Map.of());
            if (!"running".equals(st.path("status").asString())) {
                status = st.path("exitstatus").asString("");
                break;
            }
            Thread.sleep(100);
        }
        JsonNode log = c.call(HttpMethod.GET, "/nodes/" + node + "/tasks/" + upid + "/log", Map.of("start", 0, "limit", 0));
        for (JsonNode l : log) {
            String t = l.path("t").asString();
            if (t.equals("TASK OK")) continue;
            if (t.startsWith("TASK ERROR: ")) continue;
            inv.out().println(t);
        }
        if (!status.equals("OK")) {
            inv.err().println(status);
            return 255;
        }
        return 0;
    }

    static int free(CliInvocation inv) throws Exception {
        String volume = str(inv, "volume");
        VolumeId v = VolumeId.parse(volume);
        String storage = str(inv, "storage") != null ? str(inv, "storage") : v.storage();
        Map<String, Object> params = new LinkedHashMap<>();
        if (inv.params().get("delay") != null) params.put("delay", inv.params().get("delay"));
        JsonNode r = inv.client().call(HttpMethod.DELETE, "/nodes/" + inv.localNode() + "/storage/" + storage + "/content/" + volume, params);
        return r.isString() ? follow(inv, r.asString()) : 0;
    }

    static int path(CliInvocation inv) {
        String volume = popArg(inv, "volume", 0);
        if (volume == null) throw new StorageException("missing argument 'volume'");
        VolumeId v = VolumeId.parse(volume);
        JsonNode r = inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/storage/" + v.storage() + "/content/" + volume, Map.of());
        inv.out().println(r.path("path").asString());
        return 0;
    }

    static int prune(CliInvocation inv) throws Exception {
        String storage = str(inv, "storage");
        Map<String, Object> params = new LinkedHashMap<>();
        for (String k : List.of("type", "vmid")) if (inv.params().get(k) != null) params.put(k, inv.params().get(k));
        // retention options are given as --keep-last 3 … (as PVE's pvesm) or as --prune-backups keep-last=3,…
        Map<String, String> keep = new java.util.TreeMap<>();
        for (String k : List.of("keep-all", "keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly")) {
            String v = option(inv, k);
            if (v != null) keep.put(k, v);
        }
        String pb = str(inv, "prune-backups");
        if (!keep.isEmpty()) pb = org.haven.core.format.PropertyString.print(keep, null);
        if (pb != null) params.put("prune-backups", pb);
        String base = "/nodes/" + inv.localNode() + "/storage/" + storage + "/prunebackups";
        if (flag(inv, "dry-run")) {
            printPrune(inv.client().call(HttpMethod.GET, base, params), inv.out());
            return 0;
        }
        JsonNode r = inv.client().call(HttpMethod.DELETE, base, params);
        return r.isString() ? follow(inv, r.asString()) : 0;
    }

    /** A storage manager on this host over the configuration the daemon serves. */
    static StorageManager localManager(CliInvocation inv) {
        ApiClient c = inv.client();
        SectionConfig.Document doc = new SectionConfig.Document();
        String localPath = StorageManager.SYSTEM_LOCAL_PATH.toString();
        for (JsonNode e : c.call(HttpMethod.GET, "/storage", Map.of())) {
            String type = e.path("type").asString();
            String id = e.path("storage").asString();
            StorageType t = StorageType.of(type).orElse(null);
            if (t == null) continue;
            SectionConfig.Section s = new SectionConfig.Section(type, id);
            for (var p : e.properties()) {
                String k = p.getKey();
                if (k.equals("storage") || k.equals("type") || k.equals("digest")) continue;
                if (!t.options().containsKey(k)) continue;
                s.set(k, p.getValue().isString() ? p.getValue().asString() : p.getValue().toString());
            }
            if (id.equals("local")) localPath = e.path("path").asString(localPath);
            doc.add(s);
        }
        MemoryClusterFs fs = new MemoryClusterFs(inv.localNode());
        fs.writeString(StorageManager.CONFIG_PATH, SectionConfig.write(doc));
        return new StorageManager(fs, inv.localNode(), Path.of(localPath), new ProcessCommandRunner());
    }

    static ExportFormat format(String f) {
        return ExportFormat.of(f).orElseThrow(() -> new StorageException("unknown format '" + f + "'"));
    }

    static int export(CliInvocation inv) throws Exception {
        String volume = popArg(inv, "volume", 0);
        String fmt = popArg(inv, "format", 1);
        String file = popArg(inv, "filename", 2);
        if (volume == null || fmt == null || file == null) {
            inv.err().println("400 not enough arguments");
            return 255;
        }
        StorageManager sm = localManager(inv);
        String snap = option(inv, "snapshot");
        String base = option(inv, "base");
        boolean withSnaps = flag(inv, "with-snapshots");
        if (file.equals("-")) {
            OutputStream out = new BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16);
            sm.exportVolume(volume, format(fmt), snap, base, withSnaps, out);
            out.flush();
        } else {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(Path.of(file)), 1 << 16)) {
                sm.exportVolume(volume, format(fmt), snap, base, withSnaps, out);
            }
        }
        return 0;
    }

    static int importVolume(CliInvocation inv) throws Exception {
        String volume = popArg(inv, "volume", 0);
        String fmt = popArg(inv, "format", 1);
        String file = popArg(inv, "filename", 2);
        if (volume == null || fmt == null || file == null) {
            inv.err().println("400 not enough arguments");
            return 255;
        }
        StorageManager sm = localManager(inv);
        String snap = option(inv, "snapshot");
        String base = option(inv, "base");
        boolean withSnaps = flag(inv, "with-snapshots");
        boolean allowRename = flag(inv, "allow-rename");
        String volid;
        if (file.equals("-")) {
            InputStream in = new BufferedInputStream(new java.io.FileInputStream(java.io.FileDescriptor.in), 1 << 16);
            volid = sm.importVolume(volume, format(fmt), snap, base, withSnaps, allowRename, in);
        } else {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(file)), 1 << 16)) {
                volid = sm.importVolume(volume, format(fmt), snap, base, withSnaps, allowRename, in);
            }
        }
        inv.out().println("successfully imported '" + volid + "'");
        return 0;
    }

    static int extractConfig(CliInvocation inv) throws Exception {
        String volume = popArg(inv, "volume", 0);
        if (volume == null) {
            inv.err().println("400 not enough arguments");
            return 255;
        }
        String path = volume;
        if (VolumeId.isVolumeId(volume)) {
            VolumeId v = VolumeId.parse(volume);
            path = inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/storage/" + v.storage() + "/content/" + volume, Map.of())
                    .path("path").asString();
        }
        inv.out().print(BackupConfig.extract(Path.of(path), new ProcessCommandRunner()));
        return 0;
    }
}
