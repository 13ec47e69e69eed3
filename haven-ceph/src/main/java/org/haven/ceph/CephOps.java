package org.haven.ceph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.haven.api.ApiException;
import org.haven.core.schema.ParamException;
import tools.jackson.databind.JsonNode;

/**
 * What {@code pveceph} changes: the initial configuration, monitors, managers, OSDs and metadata servers of this node,
 * with PVE's checks and messages. The methods run inside tasks and report to {@code log}.
 */
public final class CephOps {
    private final CephNode ceph;

    public CephOps(CephNode ceph) { this.ceph = ceph; }

    // ---- init ----------------------------------------------------------------------------------------------

    /**
     * PVE's {@code init}: the {@code [global]} section (a new {@code fsid}, cephx, pool defaults, networks),
     * {@code [client]}'s keyring, and the admin keyring in {@code priv/}. An existing configuration keeps its
     * {@code fsid}.
     */
    public void init(String network, String clusterNetwork, boolean disableCephx, Integer size, Integer minSize, Integer pgBits) {
        CephNode.checkInstalled("mon");
        String auth = disableCephx ? "none" : "cephx";
        ceph.modifyConfig(c -> {
            if (!c.has("global")) {
                c.set("global", "fsid", UUID.randomUUID().toString());
                c.set("global", "auth_cluster_required", auth);
                c.set("global", "auth_service_required", auth);
                c.set("global", "auth_client_required", auth);
                c.set("global", "osd_pool_default_size", String.valueOf(size == null ? 3 : size));
                c.set("global", "osd_pool_default_min_size", String.valueOf(minSize == null ? 2 : minSize));
                c.set("global", "mon_allow_pool_delete", "true");
            }
            if (auth.equals("cephx")) c.set("client", "keyring", "/etc/pve/priv/$cluster.$name.keyring");
            if (pgBits != null) {
                c.set("global", "osd_pg_bits", pgBits.toString());
                c.set("global", "osd_pgp_bits", pgBits.toString());
            }
            if (network != null) {
                c.set("global", "public_network", network);
                c.set("global", "cluster_network", network);
            }
            if (clusterNetwork != null) c.set("global", "cluster_network", clusterNetwork);
        });
        if (auth.equals("cephx")) adminKeyring();
    }

    /** PVE's {@code get_or_create_admin_keyring}. */
    private void adminKeyring() {
        if (ceph.cfs().read(CephNode.ADMIN_KEYRING).isPresent()) return;
        withTempFile(tmp -> ceph.run("ceph-authtool", "--create-keyring", tmp.toString(), "--gen-key", "-n", "client.admin",
                "--cap", "mon", "allow *", "--cap", "osd", "allow *", "--cap", "mds", "allow *", "--cap", "mgr", "allow *"),
                CephNode.ADMIN_KEYRING);
    }

    /** Run {@code make} on a new temporary file and store the file in the cluster file system as {@code cfsPath}. */
    private void withTempFile(Consumer<Path> make, String cfsPath) {
        try {
            Files.createDirectories(ceph.paths().run());
            Path tmp = ceph.paths().run().resolve("tmp-" + UUID.randomUUID());
            try {
                make.accept(tmp);
                ceph.cfs().mkdirs("priv");
                ceph.cfs().write(cfsPath, Files.readAllBytes(tmp));
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- monitors ------------------------------------------------------------------------------------------

    /** The monitors of the configuration: {@code [mon.X]} sections. */
    static List<String> configuredMons(CephConfig c) {
        List<String> out = new ArrayList<>();
        for (String s : c.sections().keySet()) if (s.startsWith("mon.")) out.add(s.substring(4));
        return out;
    }

    /**
     * The address of a new monitor: {@code monAddress}, or this node's only address in the public network
     * (PVE's {@code assert_mon_prerequisites}).
     */
    public String monAddress(CephConfig c, String monAddress) {
        if (monAddress != null) return monAddress;
        String net = c.get("global", "public_network");
        if (net == null) throw ApiException.error("no public network configured and no 'mon-address' given");
        List<String> ips = localIps(net.split("[,\\s]+")[0]);
        if (ips.isEmpty()) throw ApiException.error("unable to find local address within network '" + net + "'");
        if (ips.size() > 1) throw ApiException.error("Multiple Ceph public networks/IPs found " + ips + " on node, use 'mon-address' to select one");
        return ips.get(0);
    }

    static List<String> localIps(String cidr) {
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    String ip = a.getHostAddress().replaceFirst("%.*", "");
                    if (Cidr.contains(cidr, ip)) out.add(ip);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Collections.sort(out);
        return out;
    }

    public void createMon(String monid, String monAddress, TaskOut log) {
        CephNode.checkInstalled("mon");
        ceph.checkInited();
        CephConfig c = ceph.config();
        if (c.has("mon." + monid) || Files.exists(ceph.paths().data("mon", monid)))
            throw ApiException.error("monitor '" + monid + "' already exists");
        String ip = monAddress(c, monAddress);
        String fsid = c.get("global", "fsid");
        if (fsid == null) throw ApiException.error("cannot find fsid in ceph.conf");
        boolean first = c.get("global", "mon_host") == null;
        log.log("creating monitor mon." + monid + " on " + ip);
        monKeyring();
        Path mondir = ceph.paths().data("mon", monid);
        Path monmap = ceph.paths().run().resolve("monmap-" + monid);
        Path keyring = ceph.paths().mirror().resolve(CephNode.MON_KEYRING);
        try {
            ceph.sync();
            Files.createDirectories(mondir);
            if (first) ceph.run("monmaptool", "--create", "--clobber", "--fsid", fsid, monmap.toString());
            else ceph.ceph("mon", "getmap", "-o", monmap.toString());
            ceph.run("monmaptool", "--addv", monid, "[v2:" + bracket(ip) + ":3300,v1:" + bracket(ip) + ":6789]", monmap.toString());
            ceph.run("ceph-mon", "-c", ceph.paths().conf().toString(), "--mkfs", "-i", monid, "--monmap", monmap.toString(), "--keyring", keyring.toString());
        } catch (RuntimeException | IOException e) {
            deleteTree(mondir);
            throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
        } finally {
            try {
                Files.deleteIfExists(monmap);
            } catch (IOException ignored) {
                // a leftover map in the run directory is harmless
            }
        }
        ceph.modifyConfig(cfg -> {
            String hosts = cfg.get("global", "mon_host");
            cfg.set("global", "mon_host", hosts == null ? ip : hosts + " " + ip);
            cfg.set("mon." + monid, "public_addr", ip);
        });
        log.log("starting mon." + monid);
        ceph.start("mon", monid);
        waitFor(() -> ceph.json("quorum_status").path("quorum_names").toString().contains("\"" + monid + "\""), 60, "monitor " + monid + " did not join the quorum");
        if (first) {
            ceph.ceph("mon", "enable-msgr2");
            // the first monitor brings the first manager (PVE creates one with the monitor's id)
            if (CephNode.installed("mgr") && ceph.localDaemons().get("mgr").isEmpty()) createMgr(monid, log);
        }
    }

    private static String bracket(String ip) { return ip.contains(":") ? "[" + ip + "]" : ip; }

    /** PVE's monitor keyring: the admin keyring plus the {@code mon.} key. */
    private void monKeyring() {
        if (ceph.cfs().read(CephNode.MON_KEYRING).isPresent()) return;
        byte[] admin = ceph.cfs().read(CephNode.ADMIN_KEYRING).orElse(null);
        withTempFile(tmp -> {
            try {
                if (admin != null) Files.write(tmp, admin);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<String> cmd = new ArrayList<>(List.of("ceph-authtool", tmp.toString()));
            if (admin == null) cmd.add("--create-keyring");
            cmd.addAll(List.of("--gen-key", "-n", "mon.", "--cap", "mon", "allow *"));
            ceph.run(cmd.toArray(String[]::new));
        }, CephNode.MON_KEYRING);
    }

    public void destroyMon(String monid, TaskOut log) {
        ceph.checkInited();
        CephConfig c = ceph.config();
        JsonNode map = ceph.json("mon", "dump");
        boolean known = false;
        int count = 0;
        for (JsonNode m : map.path("mons")) {
            count++;
            if (monid.equals(m.path("name").asString())) known = true;
        }
        if (!known && !c.has("mon." + monid)) throw ApiException.error("no such monitor id '" + monid + "'");
        if (known && count <= 1) throw ApiException.error("can't remove last monitor");
        if (known) {
            log.log("removing monitor " + monid + " from the monitor map");
            ceph.ceph("mon", "rm", monid);
        }
        ceph.stop("mon", monid);
        String addr = c.get("mon." + monid, "public_addr");
        ceph.modifyConfig(cfg -> {
            cfg.removeSection("mon." + monid);
            String hosts = cfg.get("global", "mon_host");
            if (hosts != null && addr != null) {
                List<String> rest = new ArrayList<>();
                for (String h : hosts.split("[,;\\s]+")) if (!h.isEmpty() && !h.equals(addr) && !h.contains(":" + addr + ":") && !h.equals("[" + addr + "]")) rest.add(h);
                if (rest.isEmpty()) cfg.remove("global", "mon_host");
                else cfg.set("global", "mon_host", String.join(" ", rest));
            }
        });
        deleteTree(ceph.paths().data("mon", monid));
    }

    // ---- managers ------------------------------------------------------------------------------------------

    public void createMgr(String id, TaskOut log) {
        CephNode.checkInstalled("mgr");
        ceph.checkConfigured();
        Path dir = ceph.paths().data("mgr", id);
        if (Files.exists(dir)) throw ApiException.error("Manager directory '" + dir + "' already exists");
        log.log("creating manager directory '" + dir + "'");
        try {
            Files.createDirectories(dir);
            log.log("creating keys for 'mgr." + id + "'");
            ceph.ceph("auth", "get-or-create", "mgr." + id, "mon", "allow profile mgr", "osd", "allow *", "mds", "allow *", "-o", dir.resolve("keyring").toString());
        } catch (RuntimeException | IOException e) {
            deleteTree(dir);
            throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
        }
        log.log("starting service 'ceph-mgr@" + id + "'");
        ceph.start("mgr", id);
    }

    public void destroyMgr(String id, TaskOut log) {
        ceph.checkInited();
        Path dir = ceph.paths().data("mgr", id);
        if (!Files.exists(dir)) throw ApiException.error("Manager directory '" + dir + "' does not exist");
        log.log("disabling service 'ceph-mgr@" + id + "'");
        ceph.stop("mgr", id);
        log.log("removing manager directory '" + dir + "'");
        deleteTree(dir);
        log.log("removing authentication for 'mgr." + id + "'");
        ceph.ceph("auth", "del", "mgr." + id);
    }

    // ---- metadata servers ----------------------------------------------------------------------------------

    public void createMds(String id, boolean hotstandby, TaskOut log) {
        CephNode.checkInstalled("mds");
        ceph.checkConfigured();
        Path dir = ceph.paths().data("mds", id);
        if (Files.exists(dir)) throw ApiException.error("MDS directory '" + dir + "' already exists");
        try {
            Files.createDirectories(dir);
            log.log("creating keys for 'mds." + id + "'");
            ceph.ceph("auth", "get-or-create", "mds." + id, "mon", "allow profile mds", "osd", "allow rwx", "mds", "allow *", "mgr", "allow profile mds",
                    "-o", dir.resolve("keyring").toString());
        } catch (RuntimeException | IOException e) {
            deleteTree(dir);
            throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
        }
        ceph.modifyConfig(c -> {
            c.set("mds." + id, "host", ceph.nodeName());
            if (hotstandby) c.set("mds." + id, "mds_standby_replay", "true");
        });
        log.log("starting service 'ceph-mds@" + id + "'");
        ceph.start("mds", id);
    }

    public void destroyMds(String id, TaskOut log) {
        ceph.checkInited();
        Path dir = ceph.paths().data("mds", id);
        if (!Files.exists(dir)) throw ApiException.error("MDS directory '" + dir + "' does not exist");
        ceph.stop("mds", id);
        ceph.modifyConfig(c -> c.removeSection("mds." + id));
        deleteTree(dir);
        log.log("removing authentication for 'mds." + id + "'");
        ceph.ceph("auth", "del", "mds." + id);
    }

    // ---- OSDs ----------------------------------------------------------------------------------------------

    /**
     * A BlueStore OSD on the whole device {@code dev}: a new OSD id and key, {@code ceph-osd --mkfs} on the device
     * (the OSD's directory holds its key and the {@code block} link to the device), then the daemon is started.
     * The device must be unused (no partitions, file systems or other signatures).
     */
    public int createOsd(String dev, String deviceClass, TaskOut log) {
        CephNode.checkInstalled("osd");
        ceph.checkConfigured();
        Path d = Path.of(dev);
        if (!dev.startsWith("/dev/") || !Files.exists(d)) throw ParamException.of("dev", "no such device '" + dev + "'");
        String signature = ceph.runner().run(List.of("blkid", "-p", "-o", "value", "-s", "TYPE", dev), Map.of(), null).stdout().strip();
        if (!signature.isEmpty() || hasPartitions(dev)) throw ApiException.error("device '" + dev + "' is already in use");
        if (ceph.json("mon", "dump").path("mons").isEmpty()) throw ApiException.error("no monitors available");
        String uuid = UUID.randomUUID().toString();
        int id = Integer.parseInt(ceph.ceph("osd", "new", uuid).strip());
        log.log("creating OSD osd." + id + " on " + dev);
        Path dir = ceph.paths().data("osd", String.valueOf(id));
        try {
            Files.createDirectories(dir);
            Files.createSymbolicLink(dir.resolve("block"), d);
            Files.writeString(dir.resolve("type"), "bluestore\n");
            ceph.ceph("auth", "get-or-create", "osd." + id, "mon", "allow profile osd", "mgr", "allow profile osd", "osd", "allow *",
                    "-o", dir.resolve("keyring").toString());
            ceph.run("ceph-osd", "-c", ceph.paths().conf().toString(), "--cluster", "ceph", "--mkfs", "-i", String.valueOf(id),
                    "--osd-uuid", uuid, "--osd-objectstore", "bluestore");
            if (deviceClass != null) {
                ceph.ceph("osd", "crush", "rm-device-class", "osd." + id);
                ceph.ceph("osd", "crush", "set-device-class", deviceClass, "osd." + id);
            }
        } catch (RuntimeException | IOException e) {
            log.log("creating osd." + id + " failed, removing it");
            try {
                ceph.ceph("osd", "purge", String.valueOf(id), "--yes-i-really-mean-it");
            } catch (RuntimeException ignored) {
                // the original error tells what happened
            }
            deleteTree(dir);
            throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
        }
        log.log("starting service 'ceph-osd@" + id + "'");
        ceph.start("osd", String.valueOf(id));
        return id;
    }

    private boolean hasPartitions(String dev) {
        var r = ceph.runner().run(List.of("lsblk", "-n", "-o", "NAME", dev), Map.of(), null);
        return r.ok() && r.stdout().strip().lines().count() > 1;
    }

    /** PVE's {@code destroyosd}: the OSD must be out and stopped; {@code cleanup} wipes the start of its device. */
    public void destroyOsd(int id, boolean cleanup, TaskOut log) {
        ceph.checkConfigured();
        String osd = "osd." + id;
        JsonNode info = null;
        for (JsonNode o : ceph.json("osd", "dump").path("osds")) if (o.path("osd").asInt(-1) == id) info = o;
        if (info == null) throw ApiException.error("osd '" + osd + "' does not exist");
        if (info.path("in").asInt() != 0) throw ApiException.error("osd is in - please set out first");
        if (info.path("up").asInt() != 0 || ceph.running("osd", String.valueOf(id))) throw ApiException.error("osd is still running - please stop first");
        Path dir = ceph.paths().data("osd", String.valueOf(id));
        Path block = null;
        try {
            if (Files.isSymbolicLink(dir.resolve("block"))) block = Files.readSymbolicLink(dir.resolve("block"));
        } catch (IOException ignored) {
            // no device to clean up
        }
        log.log("destroy OSD " + osd);
        log.log("Remove " + osd + " from the CRUSH map");
        log.log("Remove the " + osd + " authentication key.");
        log.log("Remove OSD " + osd);
        ceph.ceph("osd", "purge", String.valueOf(id), "--yes-i-really-mean-it");
        deleteTree(dir);
        if (cleanup && block != null) {
            log.log("wipe disk/partition: " + block);
            ceph.run("dd", "if=/dev/zero", "of=" + block, "bs=1M", "count=200", "conv=fdatasync");
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** Where a task reports. */
    @FunctionalInterface
    public interface TaskOut {
        void log(String line);
    }

    interface Check {
        boolean ok();
    }

    static void waitFor(Check c, int seconds, String message) {
        RuntimeException last = null;
        for (long end = System.nanoTime() + seconds * 1_000_000_000L; System.nanoTime() < end; ) {
            try {
                if (c.ok()) return;
            } catch (RuntimeException e) {
                last = e;
            }
            CephNode.sleep(500);
        }
        throw new CephNode.CephException(message + (last == null ? "" : ": " + last.getMessage()), -1);
    }

    static void deleteTree(Path p) {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
