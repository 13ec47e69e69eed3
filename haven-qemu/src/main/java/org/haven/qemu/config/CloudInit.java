package org.haven.qemu.config;

import org.haven.core.format.ConfigDigest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The NoCloud cloud-init data PVE generates from a VM config ({@code ciuser}, {@code cipassword},
 * {@code sshkeys}, {@code ipconfigN}, {@code nameserver}, {@code searchdomain}, {@code ciupgrade}):
 * {@code user-data}, {@code network-config} (version 1) and {@code meta-data}. Pure; the ISO is built by the
 * caller.
 */
public final class CloudInit {
    private CloudInit() {}

    /** Drive values of a cloud-init volume ({@code storage:cloudinit} before, {@code …vm-100-cloudinit…} after allocation). */
    public static final Pattern CLOUDINIT_VOLUME = Pattern.compile("(^|[:/])vm-\\d+-cloudinit(\\.(raw|qcow2|vmdk))?$");

    public static boolean isCloudInitDrive(String key, Map<String, String> conf) {
        String v = conf.get(key);
        if (v == null || !QemuOptions.isBusDrive(key)) return false;
        String f = QemuOptions.props(key, v).get("file");
        return f != null && CLOUDINIT_VOLUME.matcher(f).find();
    }

    /** The three files, by name. */
    public static LinkedHashMap<String, String> files(int vmid, Map<String, String> conf, String hostDomain) {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        String user = userData(vmid, conf, hostDomain);
        String net = networkConfig(conf);
        out.put("user-data", user);
        out.put("network-config", net);
        out.put("meta-data", "instance-id: " + sha1(user + net) + "\n");
        return out;
    }

    static String userData(int vmid, Map<String, String> conf, String hostDomain) {
        StringBuilder sb = new StringBuilder("#cloud-config\n");
        String name = conf.getOrDefault("name", "VM" + vmid);
        String domain = conf.get("searchdomain");
        if (domain == null || domain.isBlank()) domain = hostDomain;
        if (domain != null) domain = domain.split("[\\s,;]+")[0];
        sb.append("hostname: ").append(name).append('\n');
        sb.append("manage_etc_hosts: true\n");
        if (domain != null && !domain.isEmpty()) sb.append("fqdn: ").append(name).append('.').append(domain).append('\n');
        if (conf.get("ciuser") != null) sb.append("user: ").append(conf.get("ciuser")).append('\n');
        if (conf.get("cipassword") != null) sb.append("password: ").append(conf.get("cipassword")).append('\n');
        String keys = conf.get("sshkeys");
        if (keys != null) {
            sb.append("ssh_authorized_keys:\n");
            for (String k : URLDecoder.decode(keys, StandardCharsets.UTF_8).split("\n")) {
                if (!k.isBlank()) sb.append("  - ").append(k.strip()).append('\n');
            }
        }
        sb.append("chpasswd:\n  expire: False\n");
        sb.append("users:\n  - default\n");
        if (!"0".equals(conf.get("ciupgrade"))) sb.append("package_upgrade: true\n");
        return sb.toString();
    }

    static String networkConfig(Map<String, String> conf) {
        StringBuilder sb = new StringBuilder("version: 1\nconfig:\n");
        for (int i = 0; i < 32; i++) {
            String net = conf.get("net" + i);
            if (net == null) continue;
            Map<String, String> n = QemuOptions.props("net" + i, net);
            sb.append("    - type: physical\n");
            sb.append("      name: eth").append(i).append('\n');
            if (n.get("macaddr") != null) sb.append("      mac_address: '").append(n.get("macaddr").toLowerCase()).append("'\n");
            String ipc = conf.get("ipconfig" + i);
            if (ipc == null) continue;
            Map<String, String> ip = QemuOptions.props("ipconfig" + i, ipc);
            List<String> subnets = new ArrayList<>();
            String v4 = ip.get("ip");
            if (v4 != null) {
                if (v4.equals("dhcp")) subnets.add("      - type: dhcp4\n");
                else {
                    String[] a = v4.split("/");
                    StringBuilder s = new StringBuilder("      - type: static\n");
                    s.append("        address: '").append(a[0]).append("'\n");
                    s.append("        netmask: '").append(netmask(Integer.parseInt(a[1]))).append("'\n");
                    if (ip.get("gw") != null) s.append("        gateway: '").append(ip.get("gw")).append("'\n");
                    subnets.add(s.toString());
                }
            }
            String v6 = ip.get("ip6");
            if (v6 != null) {
                if (v6.equals("dhcp")) subnets.add("      - type: dhcp6\n");
                else if (v6.equals("auto")) subnets.add("      - type: ipv6_slaac\n");
                else {
                    StringBuilder s = new StringBuilder("      - type: static6\n");
                    s.append("        address: '").append(v6).append("'\n");
                    if (ip.get("gw6") != null) s.append("        gateway: '").append(ip.get("gw6")).append("'\n");
                    subnets.add(s.toString());
                }
            }
            if (!subnets.isEmpty()) {
                sb.append("      subnets:\n");
                subnets.forEach(sb::append);
            }
        }
        String ns = conf.get("nameserver");
        String search = conf.get("searchdomain");
        if (ns != null || search != null) {
            sb.append("    - type: nameserver\n");
            if (ns != null) {
                sb.append("      address:\n");
                for (String a : ns.split("[\\s,;]+")) if (!a.isEmpty()) sb.append("      - '").append(a).append("'\n");
            }
            if (search != null) {
                sb.append("      search:\n");
                for (String d : search.split("[\\s,;]+")) if (!d.isEmpty()) sb.append("      - '").append(d).append("'\n");
            }
        }
        return sb.toString();
    }

    static String netmask(int prefix) {
        long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        return ((mask >> 24) & 255) + "." + ((mask >> 16) & 255) + "." + ((mask >> 8) & 255) + "." + (mask & 255);
    }

    static String sha1(String s) {
        return ConfigDigest.of(s);
    }

    /** The options that go into the cloud-init image (PVE's cloud-init option set). */
    public static final Pattern OPTION = Pattern.compile("ci(user|password|type|upgrade|custom)|nameserver|searchdomain|sshkeys|ipconfig\\d+");

    /** The cloud-init options of a config: what the image is made from, recorded as {@code [special:cloudinit]}. */
    public static java.util.TreeMap<String, String> options(Map<String, String> conf) {
        java.util.TreeMap<String, String> out = new java.util.TreeMap<>();
        conf.forEach((k, v) -> { if (OPTION.matcher(k).matches()) out.put(k, v); });
        return out;
    }

    /**
     * PVE's {@code cloudinit_pending}: each cloud-init option with the value the current image was made from
     * ({@code value}), a changed or added value ({@code pending}) and removals ({@code delete}); passwords are masked.
     * Without a record of the image every option counts as in it.
     */
    public static List<Map<String, Object>> pending(Map<String, String> conf, Map<String, String> generated) {
        java.util.TreeMap<String, String> now = options(conf);
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(now.keySet());
        if (generated != null) keys.addAll(generated.keySet());
        List<Map<String, Object>> out = new ArrayList<>();
        for (String k : keys) {
            String cur = mask(k, now.get(k)), was = generated == null ? cur : mask(k, generated.get(k));
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("key", k);
            if (was != null) item.put("value", was);
            if (cur == null) item.put("delete", 1);
            else if (!cur.equals(was)) item.put("pending", cur);
            out.add(item);
        }
        return out;
    }

    private static String mask(String key, String v) { return v != null && key.equals("cipassword") ? "**********" : v; }

    /** PVE's {@code cloudinit/dump}: the generated file of a type ({@code user}, {@code network}, {@code meta}). */
    public static String dump(int vmid, Map<String, String> conf, String type) {
        var files = files(vmid, conf, null);
        return switch (type) {
            case "user" -> files.get("user-data");
            case "network" -> files.get("network-config");
            case "meta" -> files.get("meta-data");
            default -> throw new IllegalArgumentException("unknown config type '" + type + "'");
        };
    }
}
