package org.haven.guest.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;

/**
 * Reads and writes guest configs in the cluster file system at {@code nodes/<node>/<dir>/<vmid>.conf},
 * where {@code dir} is {@code qemu-server} for VMs and {@code lxc} for containers. Changes run under the
 * per-guest config lock, and a caller-provided digest is checked against the file (optimistic concurrency).
 */
public final class GuestConfigStore {

    private static final Pattern CONF = Pattern.compile("^(\\d+)\\.conf$");
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(10);

    private final ClusterFs cfs;
    private final String dir;
    private final String guestWord;
    private final VmidRegistry vmids;

    /**
     * @param dir       {@code qemu-server} or {@code lxc}
     * @param guestWord {@code VM} or {@code CT}, used in messages as PVE does
     */
    public GuestConfigStore(ClusterFs cfs, String dir, String guestWord) {
        this(cfs, dir, guestWord, new VmidRegistry(cfs));
    }

    /** A store whose new guests take VMIDs from {@code vmids}, shared by every guest type of the cluster. */
    public GuestConfigStore(ClusterFs cfs, String dir, String guestWord, VmidRegistry vmids) {
        this.cfs = cfs;
        this.dir = dir;
        this.guestWord = guestWord;
        this.vmids = vmids.register(dir, guestWord);
    }

    public static GuestConfigStore qemu(ClusterFs cfs) { return new GuestConfigStore(cfs, "qemu-server", "VM"); }
    public static GuestConfigStore lxc(ClusterFs cfs) { return new GuestConfigStore(cfs, "lxc", "CT"); }

    public ClusterFs cfs() { return cfs; }
    public VmidRegistry vmids() { return vmids; }
    /** The config directory below {@code nodes/<node>/}. */
    public String dir() { return dir; }
    public String localNode() { return cfs.nodeName(); }

    /** The pending section's header in this directory's files: PVE's containers use {@code [pve:pending]}. */
    public String pendingHeader() { return dir.equals("lxc") ? GuestConfig.CT_PENDING : GuestConfig.VM_PENDING; }

    public String path(String node, int vmid) { return "nodes/" + node + "/" + dir + "/" + vmid + ".conf"; }

    /** The config on {@code node}, if it exists. */
    public Optional<GuestConfig> read(String node, int vmid) {
        return cfs.read(path(node, vmid)).map(GuestConfig::parse);
    }

    /** The config on the local node; fails with PVE's message when it does not exist. */
    public GuestConfig load(int vmid) { return load(localNode(), vmid); }

    public GuestConfig load(String node, int vmid) {
        return read(node, vmid).orElseThrow(() ->
                new GuestException(500, "Configuration file '" + path(node, vmid) + "' does not exist"));
    }

    public boolean exists(int vmid) { return owner(vmid).isPresent(); }

    /** The node whose directory holds the config of {@code vmid} (any guest type of this store). */
    public Optional<String> owner(int vmid) {
        for (ClusterFs.Entry n : cfs.list("nodes")) {
            if (!n.directory()) continue;
            if (cfs.stat(path(n.name(), vmid)).isPresent()) return Optional.of(n.name());
        }
        return Optional.empty();
    }

    /** vmid → node for every guest of this type in the cluster. */
    public TreeMap<Integer, String> list() {
        TreeMap<Integer, String> out = new TreeMap<>();
        for (ClusterFs.Entry n : cfs.list("nodes")) {
            if (!n.directory()) continue;
            for (ClusterFs.Entry f : cfs.list("nodes/" + n.name() + "/" + dir)) {
                Matcher m = CONF.matcher(f.name());
                if (m.matches()) out.put(Integer.parseInt(m.group(1)), n.name());
            }
        }
        return out;
    }

    public void write(int vmid, GuestConfig cfg) { write(localNode(), vmid, cfg); }

    public void write(String node, int vmid, GuestConfig cfg) {
        cfs.mkdirs("nodes/" + node + "/" + dir);
        cfs.write(path(node, vmid), cfg.writeBytes(pendingHeader()));
    }

    /** Fails when a guest of any type uses {@code vmid}, with PVE's message. */
    public void checkUnused(int vmid) { vmids.checkUnused(vmid, dir, guestWord); }

    /** Write a new config; fails when the VMID is already used (on any node, by any guest type). */
    public void create(int vmid, GuestConfig cfg) {
        checkUnused(vmid);
        cfs.mkdirs("nodes/" + localNode() + "/" + dir);
        try {
            cfs.create(path(localNode(), vmid), cfg.writeBytes(pendingHeader()));
        } catch (CfsException e) {
            throw new GuestException(500, "unable to create " + guestWord + " " + vmid + ": config file already exists");
        }
    }

    public boolean destroy(int vmid) { return cfs.delete(path(localNode(), vmid)); }

    /**
     * The config locks of the daemons in this JVM, per cluster file system (a node): PVE's {@code lock_config} is
     * a local {@code flock} on {@code /var/lock/qemu-server/lock-<vmid>.conf}, so a lock dies with the process that
     * holds it and never holds up another node (e.g. the recovery of a guest whose node died while starting it).
     */
    private static final Map<ClusterFs, Map<String, ReentrantLock>> LOCKS = new WeakHashMap<>();

    private ReentrantLock lockOf(int vmid) {
        synchronized (LOCKS) {
            return LOCKS.computeIfAbsent(cfs, k -> new HashMap<>()).computeIfAbsent(dir + "/" + vmid, k -> new ReentrantLock());
        }
    }

    /** Run {@code body} under the config lock of {@code vmid} (this node's, as PVE's). */
    public <T> T locked(int vmid, Supplier<T> body) {
        ReentrantLock lock = lockOf(vmid);
        try {
            if (!lock.tryLock(LOCK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new GuestException(500, "can't lock file '/var/lock/" + dir + "/lock-" + vmid + ".conf' - got timeout");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException(500, "can't lock file '/var/lock/" + dir + "/lock-" + vmid + ".conf' - interrupted");
        }
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Load, modify and write the local config under the lock. {@code fn} may return a value; it sees a
     * mutable config, which is written back afterwards.
     */
    public <T> T update(int vmid, Function<GuestConfig, T> fn) {
        return locked(vmid, () -> {
            GuestConfig cfg = load(vmid);
            T result = fn.apply(cfg);
            write(vmid, cfg);
            return result;
        });
    }

    /** PVE's check_lock: refuses when the config carries a lock. */
    public void checkLock(GuestConfig cfg) {
        cfg.lock().ifPresent(l -> { throw new GuestException(500, guestWord + " is locked (" + l + ")"); });
    }

    /** PVE's assert_if_modified: a given digest must match the file the config came from. */
    public static void assertDigest(GuestConfig cfg, String digest) {
        if (digest != null && !digest.isEmpty() && !digest.equals(cfg.digest()))
            throw new GuestException(500, "detected modified configuration - file changed by other user? Try again.");
    }

    public String guestWord() { return guestWord; }
}
