package org.haven.node.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import org.haven.api.ApiException;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.SpecMethods;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.schema.Formats;
import org.haven.guest.mapping.ResourceMappings;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ProcessCommandRunner;

/**
 * The node's host administration methods with PVE's paths and parameters: logs ({@code syslog}, {@code journal}),
 * {@code dns}, {@code hosts}, {@code netstat}, the node's {@code config}, {@code services} and {@code hardware}.
 */
final class HostApi {
    private static final SpecMethods SPEC = SpecMethods.load(HostApi.class, "node-admin.json", descriptions());
    private static final String N = "/nodes/{node}";
    static final String MODIFIED = org.haven.core.format.ConfigDigest.MODIFIED;
    private static final CommandRunner RUNNER = new ProcessCommandRunner();
    private static final List<String> INTEGER_OPTIONS = List.of("startall-onboot-delay", "ballooning-target");

    private final NodeContext ctx;
    private final Host host;
    private final Journal journal;
    private final ReentrantLock etcLock = new ReentrantLock();

    HostApi(NodeContext ctx, Host host) {
        this.ctx = ctx;
        this.host = host;
        this.journal = new Journal(host.journal(), ZoneId.systemDefault());
    }

    private static Map<String, String> descriptions() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("node", "The cluster node name.");
        d.put("start", "Number of lines to skip.");
        d.put("limit", "Number of lines to return (default 50).");
        d.put("since", "Entries from this time on (syslog: 'YYYY-MM-DD[ HH:MM[:SS]]', journal: UNIX epoch).");
        d.put("until", "Entries up to this time (syslog: 'YYYY-MM-DD[ HH:MM[:SS]]', journal: UNIX epoch).");
        d.put("service", "Service ID.");
        d.put("lastentries", "Only the last so many entries.");
        d.put("startcursor", "Entries after this journal cursor.");
        d.put("endcursor", "Entries before this journal cursor.");
        d.put("search", "Search domain for host name lookups.");
        d.put("dns1", "First name server address.");
        d.put("dns2", "Second name server address.");
        d.put("dns3", "Third name server address.");
        d.put("data", "The new content of /etc/hosts.");
        d.put("digest", "Refuse the change if the file's current digest differs (concurrent modification).");
        d.put("property", "Only this property of the node configuration.");
        d.put("delete", "Settings to remove.");
        d.put("description", "Notes about the node, kept as comment lines on top of its configuration file.");
        d.put("wakeonlan", "Wake-on-LAN settings of the node (MAC address, interface, broadcast address).");
        d.put("startall-onboot-delay", "Seconds to wait before the guests marked 'onboot' are started.");
        d.put("ballooning-target", "Memory use (percent of the total) ballooning aims at.");
        d.put("acme", "The node's ACME account and domains.");
        for (int i = 0; i < 6; i++) d.put("acmedomain" + i, "An ACME domain with its validation plugin.");
        d.put("pci-class-blacklist", "PCI classes left out of the list (';'-separated hex prefixes, default 05;06;0b).");
        d.put("verbose", "Include vendor and device names.");
        return d;
    }

    void register(ApiRegistry reg) {
        SPEC.add(reg, "GET", N + "/syslog", "Read the system log.", (p, rc) -> {
            var page = journal.syslog(p.integer("start", 0), p.integer("limit", 0), p.str("since", null), p.str("until", null), p.str("service", null));
            rc.setResultAttribute("total", page.total());
            return page.lines();
        });
        SPEC.add(reg, "GET", N + "/journal", "Read the journal.", (p, rc) -> journal.journal(new Journal.Query(
                p.has("lastentries") ? p.integer("lastentries") : null, p.has("since") ? p.lng("since") : null,
                p.has("until") ? p.lng("until") : null, p.str("startcursor", null), p.str("endcursor", null))));

        SPEC.add(reg, "GET", N + "/dns", "Read the DNS settings.", (p, rc) -> ResolvConf.parse(host.readEtc("resolv.conf")));
        SPEC.add(reg, "PUT", N + "/dns", "Write the DNS settings.", (p, rc) -> locked(() -> {
            String old = host.readEtc("resolv.conf");
            host.writeEtc("resolv.conf", ResolvConf.update(old, p.str("search"), p.str("dns1", null), p.str("dns2", null), p.str("dns3", null)));
        }));
        SPEC.add(reg, "GET", N + "/hosts", "Read /etc/hosts.", (p, rc) -> {
            String text = host.readEtc("hosts");
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("data", text);
            out.put("digest", EtcHosts.digest(text));
            return out;
        });
        SPEC.add(reg, "POST", N + "/hosts", "Write /etc/hosts.", (p, rc) -> locked(() -> {
            if (p.has("digest") && !EtcHosts.digest(host.readEtc("hosts")).equals(p.str("digest"))) throw ApiException.error(MODIFIED);
            String data = p.str("data");
            EtcHosts.check(data);
            host.writeEtc("hosts", data);
        }));

        SPEC.add(reg, "GET", N + "/netstat", "Traffic counters of the guests' network devices.", (p, rc) -> {
            try {
                return NetStat.parse(Files.readString(host.proc("net/dev"), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });

        SPEC.add(reg, "GET", N + "/config", "Read the node's configuration.", (p, rc) -> {
            Map<String, Object> conf = typed(NodeConfig.parse(readConfig(p.str("node"))));
            String prop = p.str("property", "all");
            if (prop.equals("all")) return conf;
            return conf.containsKey(prop) ? Map.of(prop, conf.get(prop)) : Map.of();
        });
        SPEC.add(reg, "PUT", N + "/config", "Change the node's configuration.", (p, rc) -> {
            updateConfig(p);
            return null;
        });

        services(reg);
        hardware(reg);
    }

    private Object locked(Runnable r) {
        etcLock.lock();
        try {
            r.run();
            return null;
        } finally {
            etcLock.unlock();
        }
    }

    private static String configPath(String node) { return "nodes/" + node + "/config"; }

    private String readConfig(String node) { return ctx.cfs().readString(configPath(node)).orElse(""); }

    private static Map<String, Object> typed(Map<String, String> conf) {
        Map<String, Object> out = new LinkedHashMap<>(conf);
        for (String k : INTEGER_OPTIONS) if (conf.containsKey(k)) out.put(k, Long.parseLong(conf.get(k)));
        return out;
    }

    /** PVE's {@code set_options}: under the file's lock, check the digest, delete, set, write. */
    private void updateConfig(Params p) {
        String node = p.str("node");
        Map<String, String> set = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : p.asMap().entrySet()) {
            if (List.of("node", "delete", "digest").contains(e.getKey()) || e.getValue() == null) continue;
            set.put(e.getKey(), e.getValue().toString());
        }
        List<String> delete = Formats.splitList(p.str("delete", null));
        ClusterFs cfs = ctx.cfs();
        cfs.withLock("file-node-config-" + node, null, () -> {
            String text = readConfig(node);
            if (p.has("digest") && !NodeConfig.digest(text).equals(p.str("digest"))) throw ApiException.error(MODIFIED);
            cfs.writeString(configPath(node), NodeConfig.write(NodeConfig.update(NodeConfig.parse(text), set, delete)));
            return null;
        });
    }

    private void services(ApiRegistry reg) {
        SPEC.add(reg, "GET", N + "/services", "List the node's services.", (p, rc) -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (String id : Services.LIST.keySet()) out.add(Services.entry(id, show(id)));
            return out;
        });
        SPEC.add(reg, "GET", N + "/services/{service}", "Service commands.", (p, rc) ->
                List.of("state", "start", "stop", "restart", "reload").stream().map(s -> Map.of("subdir", s)).toList());
        SPEC.add(reg, "GET", N + "/services/{service}/state", "Read the state of a service.", (p, rc) -> Services.entry(p.str("service"), show(p.str("service"))));
        for (String action : List.of("start", "stop", "restart", "reload")) {
            SPEC.add(reg, "POST", N + "/services/{service}/" + action, "Run '" + action + "' on a service.", (p, rc) -> {
                String id = p.str("service");
                List<String> cmd;
                try {
                    cmd = Services.command(id, action);
                } catch (IllegalArgumentException e) {
                    throw ApiException.error(e.getMessage());
                }
                return ctx.tasks().start("srv" + action, id, rc.authid(), log -> {
                    log.log(String.join(" ", cmd));
                    CommandRunner.Result r = RUNNER.run(cmd);
                    String out = (r.stdout() + r.stderr()).strip();
                    if (!out.isEmpty()) log.log(out);
                    if (!r.ok()) throw new IllegalStateException("command '" + String.join(" ", cmd) + "' failed: exit code " + r.exitCode());
                });
            });
        }
    }

    /** {@code systemctl show} of a service's unit, or null when systemd cannot be asked. */
    private static Map<String, String> show(String id) {
        try {
            CommandRunner.Result r = RUNNER.run(List.of("systemctl", "show", Services.unit(id)));
            return r.ok() ? Services.parseShow(r.stdout()) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void hardware(ApiRegistry reg) {
        SPEC.add(reg, "GET", N + "/hardware", "Hardware types.", (p, rc) -> List.of(Map.of("type", "pci"), Map.of("type", "usb")));
        SPEC.add(reg, "GET", N + "/hardware/pci", "List the node's PCI devices.", (p, rc) -> {
            List<String> blacklist = List.of(p.str("pci-class-blacklist", "05;06;0b").split(";"));
            Map<String, String> names = null;
            if (p.bool("verbose", true)) {
                try {
                    names = PciDevices.parseIds(Files.readString(host.pciIds(), StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    names = Map.of();
                }
            }
            try {
                return PciDevices.scan(host.sys("bus/pci/devices"), blacklist, names);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        SPEC.add(reg, "GET", N + "/hardware/pci/{pci-id-or-mapping}", "Index of available pci methods.",
                (p, rc) -> List.of(Map.of("method", "mdev")));
        SPEC.add(reg, "GET", N + "/hardware/pci/{pci-id-or-mapping}/mdev", "List mediated device types for given PCI device.",
                (p, rc) -> mdevTypes(p.str("pci-id-or-mapping")));
        SPEC.add(reg, "GET", N + "/hardware/usb", "List the node's USB devices.", (p, rc) -> {
            try {
                return UsbDevices.scan(host.sys("bus/usb/devices"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * The mediated device types of a PCI function, or of every device a PCI mapping names on this node (a type
     * offered by several devices counts their free instances together).
     */
    private List<Map<String, Object>> mdevTypes(String idOrMapping) {
        List<String> paths = new ArrayList<>();
        if (idOrMapping.matches("[a-zA-Z][a-zA-Z0-9_-]+")) {
            var doc = ResourceMappings.parse(ResourceMappings.Kind.PCI, ctx.cfs().readString(ResourceMappings.Kind.PCI.file()).orElse(""));
            for (Map<String, String> m : ResourceMappings.nodeMaps(ResourceMappings.find(doc, idOrMapping), ctx.nodeName()))
                paths.addAll(List.of(m.getOrDefault("path", "").split(";")));
        } else {
            paths.add(idOrMapping);
        }
        Map<String, Map<String, Object>> types = new LinkedHashMap<>();
        for (String path : paths) {
            if (path.isEmpty()) continue;
            String full = path.indexOf(':') == path.lastIndexOf(':') ? "0000:" + path : path;
            try {
                for (Map<String, Object> t : PciDevices.mdevTypes(host.sys("bus/pci/devices").resolve(full.contains(".") ? full : full + ".0"))) {
                    Map<String, Object> seen = types.putIfAbsent((String) t.get("type"), t);
                    if (seen != null) seen.put("available", (Integer) seen.get("available") + (Integer) t.get("available"));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new ArrayList<>(types.values());
    }
}
