package org.haven.guest.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.core.cfs.ClusterFs;

/**
 * The cluster-wide VMID registry over every guest type: a VMID names one guest, whatever its type, as PVE's
 * {@code .vmlist} says (which is this registry's view in the cluster file system). It knows PVE's two config
 * directories ({@code qemu-server} for VMs, {@code lxc} for containers) and every further type registered.
 */
public final class VmidRegistry {

    private static final Pattern CONF = Pattern.compile("^([1-9]\\d*)\\.conf$");

    /** Where a VMID is in use: the config directory, the word for messages ({@code VM}, {@code CT}) and the node. */
    public record Entry(int vmid, String dir, String word, String node) {}

    private final ClusterFs cfs;
    /** config directory → word */
    private final Map<String, String> kinds = new LinkedHashMap<>();

    /** A registry of PVE's VM and container directories. */
    public VmidRegistry(ClusterFs cfs) {
        this.cfs = cfs;
        kinds.put("qemu-server", "VM");
        kinds.put("lxc", "CT");
    }

    /** Add a guest type's config directory. */
    public synchronized VmidRegistry register(String dir, String word) {
        kinds.putIfAbsent(dir, word);
        return this;
    }

    private synchronized Map<String, String> kinds() { return new LinkedHashMap<>(kinds); }

    /** The guest using {@code vmid}, if any. */
    public Optional<Entry> find(int vmid) {
        for (ClusterFs.Entry n : cfs.list("nodes")) {
            if (!n.directory()) continue;
            for (var k : kinds().entrySet()) {
                if (cfs.stat("nodes/" + n.name() + "/" + k.getKey() + "/" + vmid + ".conf").isPresent())
                    return Optional.of(new Entry(vmid, k.getKey(), k.getValue(), n.name()));
            }
        }
        return Optional.empty();
    }

    /** Every guest of every type: vmid → where it is. */
    public TreeMap<Integer, Entry> list() {
        TreeMap<Integer, Entry> out = new TreeMap<>();
        for (ClusterFs.Entry n : cfs.list("nodes")) {
            if (!n.directory()) continue;
            for (var k : kinds().entrySet()) {
                for (ClusterFs.Entry f : cfs.list("nodes/" + n.name() + "/" + k.getKey())) {
                    Matcher m = CONF.matcher(f.name());
                    if (m.matches()) {
                        int vmid = Integer.parseInt(m.group(1));
                        out.putIfAbsent(vmid, new Entry(vmid, k.getKey(), k.getValue(), n.name()));
                    }
                }
            }
        }
        return out;
    }

    /** The VMIDs in use. */
    public TreeSet<Integer> used() { return new TreeSet<>(list().keySet()); }

    /**
     * PVE's {@code check_vmid_unused}: fails when a guest of another type than {@code dir} uses {@code vmid}
     * ({@code CT 100 already exists on node 'n1'}). A guest of the same type is the caller's "config file
     * already exists".
     */
    public void checkUnused(int vmid, String dir, String word) {
        Optional<Entry> e = find(vmid);
        if (e.isEmpty()) return;
        if (e.get().dir().equals(dir)) throw new GuestException(500, "unable to create " + word + " " + vmid + ": config file already exists");
        throw new GuestException(500, "unable to create " + word + " " + vmid + " - " + e.get().word() + " " + vmid
                + " already exists on node '" + e.get().node() + "'");
    }
}
