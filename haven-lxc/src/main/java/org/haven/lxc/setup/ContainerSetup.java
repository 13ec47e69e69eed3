package org.haven.lxc.setup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PVE's container setup ({@code PVE::LXC::Setup}): writes hostname, hosts, the network configuration in the
 * distribution's own format, resolv.conf, the root password and SSH keys, console getty setup and timezone into a
 * container's root file system, never following a symlink out of it.
 */
public final class ContainerSetup {
    private ContainerSetup() {}

    /**
     * Options of one run: {@code rootPassword} is plain or already encrypted ({@code $1$}, {@code $5$}, {@code $6$});
     * {@code sshKeys} are authorized_keys lines; {@code testMode} makes the run host-independent (nameserver
     * {@code 8.8.8.8 8.8.8.9}, searchdomain {@code proxmox.com} when the config has none, zero UUIDs).
     * Null means "leave as it is".
     */
    public record Options(String rootPassword, String sshKeys, boolean testMode) {
        public static final Options DEFAULT = new Options(null, null, false);
    }

    /**
     * Runs the post-create setup on {@code rootfs} for a container whose config (its current section, key → value
     * as in {@code lxc/<vmid>.conf}) is {@code config}. Idempotent.
     */
    public static void apply(Path rootfs, Map<String, String> config, Options options) throws IOException {
        distro(rootfs, config, options).postCreate(options.rootPassword(), options.sshKeys());
    }

    /**
     * Runs the setup every start runs (PVE's pre-start hook): consoles, network, hostname and hosts, DNS and
     * timezone, so config changes made while the container was stopped reach it. Passwords, keys and the
     * template fix-ups of {@link #apply} are not touched.
     */
    public static void applyOnStart(Path rootfs, Map<String, String> config, Options options) throws IOException {
        distro(rootfs, config, options).preStart();
    }

    /**
     * The directory of the container's tty devices below {@code /dev} that the getty units use: {@code lxc/} for
     * privileged containers, none for unprivileged ones (as PVE's {@code lxc.tty.dir}).
     */
    public static String devTtyDir(Map<String, String> config) {
        return "1".equals(config.get("unprivileged")) ? "" : "lxc/";
    }

    /** The distribution PVE would detect in a rootfs: {@code debian}, {@code alpine}, …, or {@code unmanaged}. */
    public static String detect(Path rootfs, Map<String, String> config) throws IOException {
        return detect(new RootFs(rootfs), config);
    }

    private static Distro distro(Path rootfs, Map<String, String> config, Options options) throws IOException {
        RootFs fs = new RootFs(rootfs);
        String type = detect(fs, config);
        String ostype = config.get("ostype");
        if (ostype != null && !ostype.equals(type) && !ostype.equals("unmanaged")) {
            System.err.println("WARNING: /etc/os-release reports '" + type + "', but config is for '" + ostype + "'");
        }
        Map<String, String> osRelease = osRelease(fs);
        Distro.Env env = new Distro.Env(dns(config, options.testMode()), options.testMode(),
                System.currentTimeMillis() / 86_400_000L, options.testMode() ? new Random(0) : new Random(),
                options.testMode() ? null : hostTimezone());
        return switch (type) {
            case "debian" -> new DebianFamily.Debian(fs, config, env, DebianFamily.debianVersion(fs));
            case "devuan" -> new DebianFamily.Debian(fs, config, env, DebianFamily.devuanVersion(fs));
            case "ubuntu" -> new DebianFamily.Ubuntu(fs, config, env, ubuntuRelease(fs, osRelease));
            case "alpine" -> new DebianFamily.Alpine(fs, config, env, required(fs.firstLine("/etc/alpine-release"), "alpine"));
            case "centos" -> new OtherDistros.RedHat(fs, config, env, redHatVersion(fs, osRelease), false);
            case "fedora" -> new OtherDistros.RedHat(fs, config, env, fedoraVersion(fs, osRelease), true);
            case "opensuse" -> { checkSuse(osRelease); yield new OtherDistros.Suse(fs, config, env); }
            case "archlinux" -> new OtherDistros.Arch(fs, config, env);
            case "gentoo" -> new OtherDistros.Gentoo(fs, config, env);
            case "nixos" -> new OtherDistros.NixOs(fs, config, env);
            case "unmanaged" -> new OtherDistros.Unmanaged(fs, config, env);
            default -> throw new IOException("setup of '" + type + "' containers is not supported");
        };
    }

    private static String detect(RootFs fs, Map<String, String> config) throws IOException {
        if ("unmanaged".equals(config.get("ostype"))) return "unmanaged";
        String id = osRelease(fs).get("ID");
        if (id != null) {
            switch (id) {
                case "alpine": return "alpine";
                case "arch": return "archlinux";
                case "centos", "almalinux", "rocky", "rhel", "ol": return "centos";
                case "debian": return "debian";
                case "devuan": return "devuan";
                case "fedora": return "fedora";
                case "gentoo": return "gentoo";
                case "nixos": return "nixos";
                case "ubuntu": return "ubuntu";
                default:
                    if (id.equals("opensuse") || id.startsWith("opensuse-") || id.equals("sles")) return "opensuse";
            }
        }
        String lsb = fs.read("/etc/lsb-release");
        if (lsb != null && Pattern.compile("(?mi)^DISTRIB_ID=Ubuntu$").matcher(lsb).find()) return "ubuntu";
        if (fs.isFile("/etc/debian_version")) return "debian";
        if (fs.isFile("/etc/devuan_version")) return "devuan";
        if (fs.isFile("/etc/SuSE-brand") || fs.isFile("/etc/SuSE-release")) return "opensuse";
        if (fs.isFile("/etc/fedora-release")) return "fedora";
        if (fs.isFile("/etc/centos-release") || fs.isFile("/etc/redhat-release")) return "centos";
        if (fs.isFile("/etc/arch-release")) return "archlinux";
        if (fs.isFile("/etc/alpine-release")) return "alpine";
        if (fs.isFile("/etc/gentoo-release")) return "gentoo";
        if (fs.isDirectory("/nix/store")) return "nixos";
        if (fs.isFile("/etc/os-release") || fs.isFile("/usr/lib/os-release")) throw new IOException("unable to detect OS distribution");
        System.err.println("/etc/os-release file not found and autodetection failed, falling back to 'unmanaged'");
        return "unmanaged";
    }

    private static final Pattern OS_RELEASE_LINE = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)=(.*)$");

    /** {@code /etc/os-release} (or {@code /usr/lib/os-release}) as a map, quotes removed. */
    static Map<String, String> osRelease(RootFs fs) throws IOException {
        String text = fs.read("/etc/os-release");
        if (text == null) text = fs.read("/usr/lib/os-release");
        Map<String, String> out = new HashMap<>();
        if (text == null) return out;
        for (String line : text.split("\n")) {
            Matcher m = OS_RELEASE_LINE.matcher(line.trim());
            if (!m.matches()) continue;
            String v = m.group(2).trim();
            if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
                v = v.substring(1, v.length() - 1).replaceAll("\\\\(.)", "$1");
            }
            out.put(m.group(1), v);
        }
        return out;
    }

    private static String required(String value, String what) throws IOException {
        if (value == null || value.isBlank()) throw new IOException("unable to read " + what + " version info");
        return value.trim();
    }

    private static String ubuntuRelease(RootFs fs, Map<String, String> osRelease) throws IOException {
        String lsb = fs.read("/etc/lsb-release");
        if (lsb != null) {
            Matcher m = Pattern.compile("(?m)^DISTRIB_RELEASE=(\\S+)\\s*$").matcher(lsb);
            if (m.find()) return m.group(1);
        }
        return required(osRelease.get("VERSION_ID"), "ubuntu");
    }

    private static double redHatVersion(RootFs fs, Map<String, String> osRelease) throws IOException {
        String release = fs.firstLine("/etc/redhat-release");
        if (release == null) release = fs.firstLine("/etc/centos-release");
        Matcher m = release == null ? null : Pattern.compile("release\\s+(\\d+(?:\\.\\d+)?)").matcher(release);
        double v = m != null && m.find() ? Double.parseDouble(m.group(1)) : Distro.leadingNumber(osRelease.get("VERSION_ID"));
        if (v < 5 || v >= 11) throw new IOException("unsupported centos release '" + (release != null ? release : osRelease.get("VERSION_ID")) + "'");
        return v;
    }

    private static double fedoraVersion(RootFs fs, Map<String, String> osRelease) throws IOException {
        double v = Distro.leadingNumber(osRelease.get("VERSION_ID"));
        if (v < 0) v = Distro.leadingNumber(fs.firstLine("/etc/fedora-release"));
        if (v < 22) throw new IOException("unsupported fedora release");
        return v;
    }

    private static void checkSuse(Map<String, String> osRelease) throws IOException {
        String id = osRelease.getOrDefault("ID", "");
        if (id.startsWith("opensuse-tumbleweed") || osRelease.getOrDefault("NAME", "").contains("Tumbleweed")) return;
        String v = osRelease.get("VERSION_ID");
        if (v == null) throw new IOException("unknown openSUSE version");
        if (!v.matches("^\\d+(\\.\\d+)?$")) throw new IOException("unrecognized openSUSE version: " + v);
        if (Distro.compareVersions(v, "13.1") < 0 && !id.equals("sles")) throw new IOException("unsupported openSUSE version (" + v + ")");
    }

    /**
     * The DNS settings setup writes: the config's {@code nameserver}/{@code searchdomain}, else (each on its own)
     * the host's resolv.conf, or in test mode {@code 8.8.8.8 8.8.8.9} / {@code proxmox.com}.
     */
    static SystemFiles.Dns dns(Map<String, String> config, boolean testMode) throws IOException {
        String ns = config.get("nameserver");
        String search = config.get("searchdomain");
        if (testMode) {
            if (ns == null) ns = "8.8.8.8 8.8.8.9";
            if (search == null) search = "proxmox.com";
        } else if (ns == null || search == null) {
            SystemFiles.Dns host = hostDns(Path.of("/etc/resolv.conf"));
            if (ns == null) ns = String.join(" ", host.nameservers());
            if (search == null) search = String.join(" ", host.search());
        }
        return SystemFiles.Dns.of(search, ns);
    }

    /** Search domains and (up to three, as the resolver uses) name servers of a resolv.conf. */
    static SystemFiles.Dns hostDns(Path resolvConf) throws IOException {
        List<String> search = new ArrayList<>();
        List<String> servers = new ArrayList<>();
        if (Files.isReadable(resolvConf)) {
            for (String line : Files.readAllLines(resolvConf)) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 2) continue;
                if (f[0].equals("nameserver") && servers.size() < 3) servers.add(f[1]);
                else if (f[0].equals("search") || f[0].equals("domain")) { search.clear(); search.addAll(List.of(f).subList(1, f.length)); }
            }
        }
        return new SystemFiles.Dns(search, servers);
    }

    /** The host's zone name ({@code /etc/timezone}, else the target of {@code /etc/localtime}), or null. */
    private static String hostTimezone() {
        try {
            Path tz = Path.of("/etc/timezone");
            if (Files.isReadable(tz)) {
                String z = Files.readString(tz).trim();
                if (!z.isEmpty()) return z;
            }
            Path lt = Path.of("/etc/localtime");
            if (Files.isSymbolicLink(lt)) {
                String t = Files.readSymbolicLink(lt).toString();
                int i = t.indexOf("zoneinfo/");
                if (i >= 0) return t.substring(i + "zoneinfo/".length());
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
