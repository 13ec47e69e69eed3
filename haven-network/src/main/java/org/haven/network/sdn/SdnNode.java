package org.haven.network.sdn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.haven.network.apply.Cmd;
import org.haven.network.apply.IfReload;
import org.haven.network.apply.Links;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The SDN on one node: writes the interfaces file generated from the running configuration
 * ({@code interfaces.d/sdn}) and applies it with {@code ifreload -a} on the main interfaces file (which sources
 * it), replaces the SNAT table {@code ip haven-sdn}, and runs one dnsmasq per simple zone with DHCP
 * (configuration, hosts file from the IPAM, leases and PID file in {@code <state>/dnsmasq/<zone>}). Without a
 * {@link IfReload} (an embedded node without a network namespace) the file is written and nothing is applied.
 */
public final class SdnNode {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String node;
    private final List<String> prefix;
    private final Path mainFile;
    private final Path sdnFile;
    private final IfReload reload;
    private final Path stateDir;
    private long applied = -1;

    /**
     * @param prefix the command prefix entering the node's network namespace ({@code ip netns exec NS}), empty for the host
     * @param mainFile the interfaces file ifreload reads; it must source {@code sdnFile}
     * @param reload how the main file is applied, or null when this node does not apply (the file is only written)
     * @param stateDir dnsmasq's configuration, leases and PID files
     */
    public SdnNode(String node, List<String> prefix, Path mainFile, Path sdnFile, IfReload reload, Path stateDir) {
        this.node = node;
        this.prefix = List.copyOf(prefix);
        this.mainFile = mainFile;
        this.sdnFile = sdnFile;
        this.reload = reload;
        this.stateDir = stateDir;
    }

    public Path sdnFile() { return sdnFile; }

    public boolean applies() { return reload != null; }

    /** The running-configuration version this node applied last (-1: none yet). */
    public synchronized long applied() { return applied; }

    /** Generate and apply the running configuration unless this version is applied already; {@code ipam} gives the DHCP hosts. */
    public synchronized void apply(Map<String, Object> running, Ipam ipam, Consumer<String> log) throws IOException {
        SdnGen.Running r = SdnGen.Running.of(running);
        if (r.version() == applied) {
            log.accept("node " + node + ": SDN version " + r.version() + " is applied already");
            return;
        }
        String text = SdnGen.interfaces(r, node, reload == null ? Set.of() : localAddresses());
        Files.createDirectories(sdnFile.getParent());
        Files.writeString(sdnFile, text);
        log.accept("node " + node + ": wrote " + sdnFile + " (version " + r.version() + ")");
        r.zonesOf(node).forEach((id, z) -> {
            String type = SdnGen.str(z, "type");
            if (!SdnGen.GENERATED.contains(type)) log.accept("zone " + id + ": type " + type + " needs its controller, not generated on this node");
        });
        if (reload == null) {
            log.accept("node " + node + ": embedded node without a network namespace, SDN not applied to the machine's interfaces");
            applied = r.version();
            return;
        }
        ensureSourced();
        for (String line : reload.apply().split("\n")) if (!line.isBlank()) log.accept(line);
        List<SdnGen.Snat> snats = SdnGen.snats(r, node);
        nft(SdnGen.nft(snats));
        for (SdnGen.Snat s : snats) log.accept("vnet " + s.vnet() + ": SNAT of " + s.network());
        if (!snats.isEmpty()) run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        List<String> dhcp = SdnGen.dhcpZones(r, node);
        for (String zone : runningDhcp()) if (!dhcp.contains(zone)) {
            stopDhcp(zone);
            log.accept("zone " + zone + ": DHCP stopped");
        }
        for (String zone : dhcp) {
            startDhcp(r, zone, ipam);
            log.accept("zone " + zone + ": DHCP (dnsmasq) started");
        }
        applied = r.version();
    }

    /**
     * A node starting: apply the running configuration unless its file already has that version (the interfaces
     * are then up from the host's boot or an earlier run), and start the DHCP servers that are not running.
     */
    public synchronized void resume(Map<String, Object> running, Ipam ipam, Consumer<String> log) throws IOException {
        SdnGen.Running r = SdnGen.Running.of(running);
        String text = Files.exists(sdnFile) ? Files.readString(sdnFile) : null;
        if (reload == null || SdnGen.fileVersion(text) != r.version()) {
            apply(running, ipam, log);
            return;
        }
        for (String zone : SdnGen.dhcpZones(r, node)) {
            if (pid(zone).flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false)) continue;
            startDhcp(r, zone, ipam);
            log.accept("zone " + zone + ": DHCP (dnsmasq) started");
        }
        applied = r.version();
    }

    /** Rewrite the DHCP hosts of the zones served here from the IPAM and make their dnsmasq read them again. */
    public synchronized void refreshHosts(Ipam ipam) throws IOException {
        for (String zone : runningDhcp()) {
            Files.writeString(dir(zone).resolve("ethers"), SdnGen.ethers(ipam.entries(zone)));
            pid(zone).flatMap(ProcessHandle::of).ifPresent(h -> run("kill", "-HUP", Long.toString(h.pid())));
        }
    }

    /**
     * PVE's zone status on this node: {@code pending} while the file is not of the running version,
     * {@code error} when a vnet of a generated zone has no interface, else {@code available}. Zone → status.
     */
    public Map<String, String> status(Map<String, Object> running) {
        SdnGen.Running r = SdnGen.Running.of(running);
        Map<String, String> out = new LinkedHashMap<>();
        long fileVersion;
        try {
            fileVersion = Files.exists(sdnFile) ? SdnGen.fileVersion(Files.readString(sdnFile)) : -1;
        } catch (IOException e) {
            fileVersion = -1;
        }
        for (String zone : r.zonesOf(node).keySet()) {
            if (fileVersion != r.version()) out.put(zone, "pending");
            else out.put(zone, vnetStatus(r, zone).values().stream().allMatch(s -> s.equals("available")) ? "available" : "error");
        }
        return out;
    }

    /** Vnet → {@code available} or the reason it is not. */
    public Map<String, String> vnetStatus(SdnGen.Running r, String zone) {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Object> z = r.zones().get(zone);
        boolean generated = z != null && SdnGen.GENERATED.contains(SdnGen.str(z, "type"));
        Map<String, Links.Link> links = reload == null || !generated ? Map.of() : links();
        for (String vnet : r.vnetsOf(zone)) {
            if (!generated) out.put(vnet, "zone type " + (z == null ? "?" : SdnGen.str(z, "type")) + " is not generated on this node");
            else if (reload == null) out.put(vnet, "available");
            else if (!links.containsKey(vnet)) out.put(vnet, "vnet " + vnet + " has no interface");
            else out.put(vnet, "available");
        }
        return out;
    }

    private Map<String, Links.Link> links() {
        try {
            return Links.read(prefix);
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    /** Stop every dnsmasq this node runs for the SDN (a test's cleanup; a daemon leaves them running as PVE's services). */
    public synchronized void stopAllDhcp() {
        for (String zone : runningDhcp()) stopDhcp(zone);
    }

    /** The PID of a zone's dnsmasq, from its PID file. */
    public Optional<Long> pid(String zone) {
        try {
            Path f = dir(zone).resolve("dnsmasq.pid");
            if (!Files.exists(f)) return Optional.empty();
            String s = Files.readString(f).strip();
            return s.matches("\\d+") ? Optional.of(Long.parseLong(s)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The leases of a zone's dnsmasq: address by MAC. */
    public Map<String, String> leases(String zone) throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        Path f = dir(zone).resolve("leases");
        if (!Files.exists(f)) return out;
        for (String line : Files.readAllLines(f)) {
            String[] w = line.split(" ");
            if (w.length >= 3) out.put(w[1], w[2]);
        }
        return out;
    }

    private Path dir(String zone) { return stateDir.resolve("dnsmasq").resolve(zone); }

    private List<String> runningDhcp() {
        List<String> out = new ArrayList<>();
        Path d = stateDir.resolve("dnsmasq");
        if (!Files.isDirectory(d)) return out;
        try (Stream<Path> s = Files.list(d)) {
            s.filter(p -> Files.exists(p.resolve("dnsmasq.pid"))).forEach(p -> out.add(p.getFileName().toString()));
        } catch (IOException e) {
            return out;
        }
        out.sort(null);
        return out;
    }

    private void startDhcp(SdnGen.Running r, String zone, Ipam ipam) throws IOException {
        stopDhcp(zone);
        Path dir = dir(zone);
        Files.createDirectories(dir);
        Path conf = dir.resolve("dnsmasq.conf");
        Files.writeString(conf, SdnGen.dnsmasq(r, zone, dir.toAbsolutePath(), dir.resolve("leases").toAbsolutePath(),
                dir.resolve("dnsmasq.pid").toAbsolutePath()));
        Files.writeString(dir.resolve("ethers"), SdnGen.ethers(ipam.entries(zone)));
        run("dnsmasq", "--conf-file=" + conf.toAbsolutePath(), "--user=root");
    }

    private void stopDhcp(String zone) {
        pid(zone).flatMap(ProcessHandle::of).ifPresent(h -> {
            h.destroy();
            h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> { h.destroyForcibly(); return h; }).join();
        });
        try {
            Files.deleteIfExists(dir(zone).resolve("dnsmasq.pid"));
        } catch (IOException ignored) {
            // gone with its directory
        }
    }

    /** The main interfaces file must source the SDN file: an embedded node's file gets the line, the host's must have it. */
    private void ensureSourced() throws IOException {
        String text = Files.exists(mainFile) ? Files.readString(mainFile) : "";
        String dirGlob = sdnFile.getParent().toAbsolutePath() + "/*";
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.equals("source " + sdnFile.toAbsolutePath()) || l.equals("source " + dirGlob)) return;
        }
        if (mainFile.equals(IfReload.SYSTEM_FILE))
            throw new IOException(mainFile + " does not source " + sdnFile + ": add 'source " + dirGlob + "'");
        Files.createDirectories(mainFile.getParent());
        Files.writeString(mainFile, text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + "\nsource " + dirGlob + "\n");
    }

    /** The addresses of this node's interfaces (left out of the vxlan peers). */
    private Set<String> localAddresses() {
        Set<String> out = new HashSet<>();
        try {
            JsonNode n = JSON.readTree(run("ip", "-j", "addr", "show"));
            for (JsonNode link : n) for (JsonNode a : link.path("addr_info")) out.add(a.path("local").asString(""));
        } catch (RuntimeException e) {
            // no addresses known: every peer is remote
        }
        return out;
    }

    private void nft(String ruleset) throws IOException {
        Files.createDirectories(stateDir);
        Path f = Files.createTempFile(stateDir, "nft", ".conf");
        try {
            Files.writeString(f, ruleset);
            run("nft", "-f", f.toAbsolutePath().toString());
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private String run(String... cmd) {
        List<String> c = new ArrayList<>(prefix);
        c.addAll(List.of(cmd));
        return Cmd.run(c, 60);
    }
}
