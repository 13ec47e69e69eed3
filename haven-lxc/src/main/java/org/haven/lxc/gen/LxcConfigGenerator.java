package org.haven.lxc.gen;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.haven.lxc.config.CtConfig;
import org.haven.lxc.config.MountPoint;
import org.haven.lxc.config.Net;

/**
 * The LXC config of a container ({@code /var/lib/lxc/<vmid>/config} or the embedded-mode equivalent), as PVE's
 * {@code update_lxc_config} writes it: arch and includes, AppArmor, idmap of unprivileged containers, ttys,
 * hostname, cgroup limits (v1 or v2) for memory, swap, cpulimit, cpuunits and cores, the root file system, veth
 * interfaces on their bridges, bind entries for mount points, then the raw {@code lxc.*} keys of the container
 * config. {@code proc}, {@code sys} and the container's cgroups are mounted by LXC ({@code lxc.mount.auto}), as
 * PVE's own common config does. Pure: the host's facts and the mounted paths come in as arguments.
 */
public final class LxcConfigGenerator {
    private LxcConfigGenerator() {}

    /**
     * @param rootfs       the host directory where the root file system is mounted
     * @param mountSources host directory of each mount point key ({@code mp0} → where its volume is mounted, or the
     *                     bind source); keys without an entry are skipped
     * @param staticAddresses configure {@code ip}/{@code gw}/{@code ip6}/{@code gw6} with LXC's own keys (for
     *                     containers whose distribution setup does not write a network configuration)
     */
    public static String generate(int vmid, CtConfig c, HostFacts host, String rootfs, Map<String, String> mountSources,
                                  boolean staticAddresses) {
        List<String> out = new ArrayList<>();
        out.add("lxc.arch = " + lxcArch(c.arch()));
        String os = c.ostype() == null ? "unmanaged" : c.ostype();
        out.add("lxc.include = " + include(host, os, "common.conf"));
        IdMap idmap = IdMap.of(c, host);
        if (c.unprivileged() || idmap.custom()) out.add("lxc.include = " + include(host, os, "userns.conf"));
        if (c.feature("nesting") && host.includes().contains("nesting.conf")) out.add("lxc.include = " + host.includeDir() + "/nesting.conf");
        if (host.apparmor()) {
            out.add("lxc.apparmor.profile = generated");
            if (c.feature("nesting")) out.add("lxc.apparmor.allow_nesting = 1");
        }
        out.add("lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed");
        out.add("lxc.monitor.unshare = 1");
        if (!idmap.custom()) for (IdMap.Entry e : idmap.entries()) out.add("lxc.idmap = " + e.lxc()); // custom ones come with the raw keys
        out.add("lxc.tty.max = " + c.tty());
        if (!c.console()) out.add("lxc.console.path = none");
        out.add("lxc.environment = TERM=linux");
        out.add("lxc.uts.name = " + (c.hostname() == null ? "CT" + vmid : c.hostname()));
        out.addAll(cgroupLimits(c, host));
        out.add("lxc.rootfs.path = " + rootfs);
        if (c.rootfs() != null && c.rootfs().ro()) out.add("lxc.rootfs.options = ro");
        for (Net n : c.nets().values()) out.addAll(net(vmid, n, staticAddresses));
        for (MountPoint m : c.mountsInOrder()) {
            String src = mountSources.get(m.key());
            if (m.key().equals("rootfs") || src == null) continue;
            String opts = "bind" + (m.ro() ? ",ro" : "") + ",create=dir";
            out.add("lxc.mount.entry = " + src + " " + m.mp().replaceFirst("^/+", "") + " none " + opts + " 0 0");
        }
        if (c.feature("fuse")) {
            out.add("lxc.cgroup" + (host.cgroupVersion() == 2 ? "2" : "") + ".devices.allow = c 10:229 rwm");
            out.add("lxc.mount.entry = /dev/fuse dev/fuse none bind,create=file 0 0");
        }
        for (Map.Entry<String, String> e : c.rawLxc()) out.add(e.getKey() + " = " + e.getValue());
        return String.join("\n", out) + "\n";
    }

    /** PVE's arch names to LXC's. */
    static String lxcArch(String arch) {
        return switch (arch) {
            case "amd64" -> "amd64";
            case "i386" -> "i386";
            case "arm64" -> "aarch64";
            case "armhf" -> "armhf";
            default -> arch;
        };
    }

    private static String include(HostFacts host, String ostype, String kind) {
        String specific = ostype + "." + kind;
        return host.includeDir() + "/" + (host.includes().contains(specific) ? specific : kind);
    }

    /** Memory, swap, CPU time, CPU weight and cpuset, in the keys of the host's cgroup version. */
    static List<String> cgroupLimits(CtConfig c, HostFacts host) {
        List<String> out = new ArrayList<>();
        long mem = c.memory() * 1024L * 1024L;
        long swap = c.swap() * 1024L * 1024L;
        Integer cores = c.cores();
        String cpuset = cores == null || cores >= host.cpus().size() ? null : cpuList(host.cpus().subList(0, cores));
        if (host.cgroupVersion() == 2) {
            out.add("lxc.cgroup2.memory.max = " + mem);
            out.add("lxc.cgroup2.memory.swap.max = " + swap);
            if (c.cpulimit() > 0) out.add("lxc.cgroup2.cpu.max = " + Math.round(100000 * c.cpulimit()) + " 100000");
            out.add("lxc.cgroup2.cpu.weight = " + (c.cpuunits() == null ? 100 : c.cpuunits()));
            if (cpuset != null) out.add("lxc.cgroup2.cpuset.cpus = " + cpuset);
        } else {
            out.add("lxc.cgroup.memory.limit_in_bytes = " + mem);
            if (host.swapAccounting()) out.add("lxc.cgroup.memory.memsw.limit_in_bytes = " + (mem + swap));
            if (c.cpulimit() > 0) {
                out.add("lxc.cgroup.cpu.cfs_period_us = 100000");
                out.add("lxc.cgroup.cpu.cfs_quota_us = " + Math.round(100000 * c.cpulimit()));
            }
            out.add("lxc.cgroup.cpu.shares = " + (c.cpuunits() == null ? 1024 : c.cpuunits()));
            if (cpuset != null) out.add("lxc.cgroup.cpuset.cpus = " + cpuset);
        }
        return out;
    }

    /** {@code 0,1,2,5} → {@code 0-2,5}. */
    static String cpuList(List<Integer> cpus) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < cpus.size()) {
            int j = i;
            while (j + 1 < cpus.size() && cpus.get(j + 1) == cpus.get(j) + 1) j++;
            parts.add(j == i ? "" + cpus.get(i) : cpus.get(i) + "-" + cpus.get(j));
            i = j + 1;
        }
        return String.join(",", parts);
    }

    static List<String> net(int vmid, Net n, boolean staticAddresses) {
        String p = "lxc.net." + n.index() + ".";
        List<String> out = new ArrayList<>();
        out.add(p + "type = veth");
        out.add(p + "veth.pair = " + n.hostIface(vmid));
        if (n.hwaddr() != null) out.add(p + "hwaddr = " + n.hwaddr());
        out.add(p + "name = " + n.name());
        if (n.bridge() != null) out.add(p + "link = " + n.bridge());
        if (!n.linkDown()) out.add(p + "flags = up");
        if (n.mtu() != null) out.add(p + "mtu = " + n.mtu());
        if (n.tag() != null) out.add(p + "veth.vlan.id = " + n.tag());
        if (n.trunks() != null) for (String t : n.trunks().split(";")) out.add(p + "veth.vlan.tagged.id = " + t);
        if (staticAddresses) {
            if (isStatic(n.ip())) {
                out.add(p + "ipv4.address = " + n.ip());
                if (n.gw() != null) out.add(p + "ipv4.gateway = " + n.gw());
            }
            if (isStatic(n.ip6())) {
                out.add(p + "ipv6.address = " + n.ip6());
                if (n.gw6() != null) out.add(p + "ipv6.gateway = " + n.gw6());
            }
        }
        return out;
    }

    private static boolean isStatic(String ip) { return ip != null && ip.contains("/"); }
}
