package org.haven.node.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import org.haven.storage.spi.CommandRunner;

/**
 * The node's APT below {@code root} ({@code /} on a system node): its repository files, the list of upgradable
 * packages, installed versions and changelogs. Every apt command gets {@code -o Dir=<root>} when the root is not
 * {@code /}, so a node with its own root never changes the machine's APT state; installed versions are read from
 * the root's dpkg database, or the machine's where the root has none (reading only).
 */
public final class Apt {
    /** The packages {@code apt/versions} lists after Haven itself: what runs guests, storage and the network. */
    static final List<String> VERSION_PACKAGES = List.of("qemu-system-x86", "qemu-utils", "lxc", "lxcfs", "corosync", "ceph-common",
            "ceph-fuse", "lvm2", "thin-provisioning-tools", "zfsutils-linux", "btrfs-progs", "nftables", "ifupdown2", "dnsmasq", "frr",
            "smartmontools", "novnc", "libjs-extjs", "openjdk-21-jre-headless");

    private final Path root;
    private final CommandRunner runner;

    public Apt(Path root, CommandRunner runner) {
        this.root = root;
        this.runner = runner;
    }

    public Path root() { return root; }

    private boolean ownRoot() { return !root.toAbsolutePath().normalize().equals(Path.of("/")); }

    Path etcApt() { return root.resolve("etc/apt"); }

    /** {@code apt-get}/{@code apt-cache} with this root's directories, then {@code args}. */
    public List<String> aptCommand(String tool, List<String> options, String... args) {
        List<String> cmd = new ArrayList<>(List.of(tool));
        if (ownRoot()) cmd.addAll(List.of("-o", "Dir=" + root.toAbsolutePath(), "-o", "Debug::NoLocking=1"));
        for (String o : options) cmd.addAll(List.of("-o", o));
        cmd.addAll(List.of(args));
        return cmd;
    }

    // ---- repositories ------------------------------------------------------------------------------------------

    /** The repository files APT reads: {@code sources.list}, then {@code sources.list.d/*.list|*.sources} by name. */
    public List<Path> repositoryFiles() {
        List<Path> out = new ArrayList<>();
        Path main = etcApt().resolve("sources.list");
        if (Files.isRegularFile(main)) out.add(main);
        Path dir = etcApt().resolve("sources.list.d");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> Files.isRegularFile(p) && AptSources.fileType(p.getFileName().toString()) != null).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** The parsed files and, by path, the error of each file that could not be read. */
    public record Repositories(List<AptSources.File> files, Map<String, String> errors, String digest) {}

    public Repositories repositories() {
        List<AptSources.File> files = new ArrayList<>();
        Map<String, String> errors = new TreeMap<>();
        Map<String, byte[]> digests = new TreeMap<>();
        for (Path p : repositoryFiles()) {
            String path = display(p);
            try {
                String text = Files.readString(p, StandardCharsets.UTF_8);
                AptSources.File f = AptSources.parse(path, text);
                files.add(f);
                digests.put(path, AptSources.digest(text));
            } catch (IOException | UncheckedIOException | AptSources.ParseError e) {
                errors.put(path, e.getMessage());
            }
        }
        return new Repositories(files, errors, AptSources.commonDigest(digests));
    }

    /** A path as the API shows it: the absolute path on the node, {@code /etc/apt/...} for a system node. */
    String display(Path p) { return "/" + root.relativize(p).toString().replace('\\', '/'); }

    Path resolve(String displayPath) {
        Path p = root.resolve(displayPath.replaceFirst("^/+", "")).normalize();
        if (!p.startsWith(etcApt())) throw new IllegalArgumentException("path '" + displayPath + "' is not an APT repository file");
        return p;
    }

    public void write(AptSources.File f) {
        Path p = resolve(f.path());
        try {
            Files.createDirectories(p.getParent());
            Path tmp = p.resolveSibling(p.getFileName() + ".tmp." + ProcessHandle.current().pid());
            Files.writeString(tmp, f.text(), StandardCharsets.UTF_8);
            Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to write " + p + ": " + e.getMessage(), e);
        }
    }

    /** The release codename from {@code etc/os-release} ({@code VERSION_CODENAME}), or null. */
    public String codename() {
        for (Path p : List.of(root.resolve("etc/os-release"), root.resolve("usr/lib/os-release"))) {
            try {
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8))
                    if (line.startsWith("VERSION_CODENAME=")) return line.substring(17).replace("\"", "").strip();
            } catch (IOException e) {
                // next
            }
        }
        return null;
    }

    // ---- packages ------------------------------------------------------------------------------------------------

    private static final Pattern INST = Pattern.compile("^Inst (\\S+) \\[([^]]+)] \\((\\S+) (.*?) \\[([^]]+)]\\)");

    /** An upgrade {@code apt-get -s dist-upgrade} plans: package, old and new version, origin and architecture. */
    public record Upgrade(String pkg, String oldVersion, String version, String origin, String arch) {}

    /** The upgrades in the output of {@code apt-get -s dist-upgrade} (new installs and removals are not listed). */
    public static List<Upgrade> parseSimulation(String out) {
        List<Upgrade> list = new ArrayList<>();
        for (String line : out.split("\n")) {
            Matcher m = INST.matcher(line);
            if (!m.find()) continue;
            String origin = m.group(4);
            int colon = origin.indexOf(':');
            String o = (colon > 0 ? origin.substring(0, colon) : origin).split(",")[0].strip();
            list.add(new Upgrade(m.group(1), m.group(2), m.group(3), o, m.group(5)));
        }
        return list;
    }

    /** The stanzas of {@code apt-cache show} or a dpkg status file: field to value, continuation lines joined with newlines. */
    public static List<Map<String, String>> parseStanzas(String text) {
        List<Map<String, String>> out = new ArrayList<>();
        Map<String, String> cur = new LinkedHashMap<>();
        String key = null;
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                if (!cur.isEmpty()) out.add(cur);
                cur = new LinkedHashMap<>();
                key = null;
            } else if (Character.isWhitespace(line.charAt(0)) && key != null) {
                cur.put(key, cur.get(key) + "\n" + line.strip());
            } else {
                int colon = line.indexOf(':');
                if (colon <= 0) continue;
                key = line.substring(0, colon);
                cur.put(key, line.substring(colon + 1).strip());
            }
        }
        if (!cur.isEmpty()) out.add(cur);
        return out;
    }

    /** PVE's entry of a package version: Package, Title (the summary), Description, Version, Arch, Priority, Section, Origin. */
    static Map<String, Object> entry(Map<String, String> fields, String origin) {
        Map<String, Object> e = new LinkedHashMap<>();
        String descr = fields.getOrDefault("Description", "");
        int nl = descr.indexOf('\n');
        e.put("Package", fields.get("Package"));
        e.put("Title", nl < 0 ? descr : descr.substring(0, nl));
        e.put("Description", nl < 0 ? descr : descr.substring(nl + 1).replace("\n.\n", "\n\n"));
        e.put("Version", fields.get("Version"));
        if (fields.containsKey("Architecture")) e.put("Arch", fields.get("Architecture"));
        if (fields.containsKey("Priority")) e.put("Priority", fields.get("Priority"));
        if (fields.containsKey("Section")) e.put("Section", fields.get("Section"));
        if (origin != null) e.put("Origin", origin);
        return e;
    }

    /** The upgradable packages with their descriptions, as PVE's {@code GET apt/update} lists them. */
    public List<Map<String, Object>> upgradable() {
        CommandRunner.Result sim = runner.run(aptCommand("apt-get", List.of(), "-s", "dist-upgrade"));
        if (!sim.ok()) throw new IllegalStateException("apt-get -s dist-upgrade failed: " + sim.stderr().strip());
        List<Upgrade> ups = parseSimulation(sim.stdout());
        if (ups.isEmpty()) return List.of();
        List<String> args = new ArrayList<>(List.of("show", "--no-all-versions"));
        for (Upgrade u : ups) args.add(u.pkg() + "=" + u.version());
        CommandRunner.Result show = runner.run(aptCommand("apt-cache", List.of(), args.toArray(String[]::new)));
        Map<String, Map<String, String>> info = new LinkedHashMap<>();
        for (Map<String, String> s : parseStanzas(show.stdout())) info.putIfAbsent(s.get("Package") + "=" + s.get("Version"), s);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Upgrade u : ups) {
            Map<String, String> f = new LinkedHashMap<>(info.getOrDefault(u.pkg() + "=" + u.version(), Map.of()));
            f.put("Package", u.pkg());
            f.put("Version", u.version());
            f.putIfAbsent("Architecture", u.arch());
            Map<String, Object> e = entry(f, u.origin());
            e.put("OldVersion", u.oldVersion());
            out.add(e);
        }
        out.sort((a, b) -> ((String) a.get("Package")).compareTo((String) b.get("Package")));
        return out;
    }

    /** The dpkg status entries of {@code packages} that are known to dpkg, by name. */
    public Map<String, Map<String, String>> installed(List<String> packages) {
        List<String> cmd = new ArrayList<>(List.of("dpkg-query"));
        if (ownRoot() && Files.isRegularFile(root.resolve("var/lib/dpkg/status"))) cmd.add("--admindir=" + root.resolve("var/lib/dpkg").toAbsolutePath());
        cmd.add("--status");
        cmd.addAll(packages);
        CommandRunner.Result r = runner.run(cmd);
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (Map<String, String> s : parseStanzas(r.stdout())) out.put(s.get("Package"), s);
        return out;
    }

    /**
     * The Debian changelog of an installed package ({@code usr/share/doc/<name>/changelog.Debian.gz}) when no other
     * version is asked for, else what {@code apt-get changelog} fetches for {@code name=version}.
     */
    public String changelog(String name, String version) {
        if (!name.matches("[a-z0-9][a-z0-9+.-]+")) throw new IllegalArgumentException("invalid package name '" + name + "'");
        Map<String, String> inst = installed(List.of(name)).get(name);
        boolean current = inst != null && inst.getOrDefault("Status", "").endsWith(" installed") && (version == null || version.equals(inst.get("Version")));
        if (current) {
            for (String f : List.of("changelog.Debian.gz", "changelog.gz")) {
                Path p = root.resolve("usr/share/doc").resolve(name).resolve(f);
                if (!Files.isRegularFile(p)) continue;
                try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        CommandRunner.Result r = runner.run(aptCommand("apt-get", List.of(), "changelog", version == null ? name : name + "=" + version));
        if (!r.ok()) throw new IllegalStateException("unable to get changelog for '" + name + "': " + r.stderr().strip());
        return r.stdout();
    }
}
