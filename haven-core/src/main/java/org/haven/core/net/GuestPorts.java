package org.haven.core.net;

/**
 * The host-side devices of guest NICs, one naming for every module that creates or filters them: PVE's
 * {@code tap<vmid>i<index>} (VMs) and {@code veth<vmid>i<index>} (containers). Where several nodes share one
 * host (embedded nodes), a VM's tap also carries {@code n} and a base-36 hash of its node's name, as long as
 * the 15 characters of a Linux interface name allow, so that a VM and its copy being migrated to another node
 * on the same host have a tap each. Pure.
 */
public final class GuestPorts {
    private GuestPorts() {}

    /** The node whose name goes into tap names: the node's name when it is embedded, null (PVE's names) when it has its host. */
    public static String tapNode(boolean embedded, String node) { return embedded ? node : null; }

    /** The tap of NIC {@code net<index>} of VM {@code vmid}; {@code node} from {@link #tapNode}. */
    public static String tap(int vmid, int index, String node) {
        String name = "tap" + vmid + "i" + index;
        if (node == null) return name;
        int room = 15 - name.length() - 1;
        if (room <= 0) return name;
        String hash = Long.toString(Integer.toUnsignedLong(node.hashCode()) + (1L << 32), 36);
        return name + "n" + hash.substring(hash.length() - Math.min(room, 6));
    }

    /** The host end of the veth pair of NIC {@code net<index>} of container {@code vmid}. */
    public static String veth(int vmid, int index) { return "veth" + vmid + "i" + index; }
}
