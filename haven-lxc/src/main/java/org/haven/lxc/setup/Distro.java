package org.haven.lxc.setup;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.access.ShaCrypt;
import org.haven.core.format.PropertyString;

/**
 * What setup does in a container of one distribution ({@code PVE::LXC::Setup::Base} and its plugins). This class is
 * the common behaviour; a distribution overrides the steps it does differently. {@link #postCreate} is what
 * {@code pct create} runs, {@link #preStart} what every start runs (so config changes reach the container).
 */
abstract class Distro {
    /** Values a run needs besides the rootfs and the config. */
    record Env(SystemFiles.Dns dns, boolean testMode, long day, Random random, String hostTimezone) {}

    final RootFs fs;
    final Map<String, String> conf;
    final Env env;

    Distro(RootFs fs, Map<String, String> conf, Env env) {
        this.fs = fs;
        this.conf = conf;
        this.env = env;
    }

    void postCreate(String rootPassword, String sshKeys) throws IOException {
        templateFixup();
        randomizeCrontab();
        if (rootPassword != null) setUserPassword("root", rootPassword);
        if (sshKeys != null && !sshKeys.isBlank()) setAuthorizedKeys("root", sshKeys);
        preStart();
    }

    void preStart() throws IOException {
        setupInit();
        setupNetwork();
        setHostname();
        setDns();
        setTimezone();
    }

    void templateFixup() throws IOException {}

    void setupInit() throws IOException {}

    abstract void setupNetwork() throws IOException;

    List<NetIf> nets() { return NetIf.fromConfig(conf); }

    /** The container's tty count ({@code tty}, default 2). */
    int ttyCount() {
        String t = conf.get("tty");
        return t == null ? 2 : Integer.parseInt(t.trim());
    }

    // ---- hostname, hosts, DNS, timezone ------------------------------------------------------------

    String hostname() {
        String h = conf.get("hostname");
        return h == null || h.isEmpty() ? "localhost" : h;
    }

    static String namepart(String hostname) { return hostname.replaceFirst("\\..*$", ""); }

    void setHostname() throws IOException {
        updateEtcHosts();
        fs.write("/etc/hostname", namepart(hostname()) + "\n", 0644);
    }

    /** The host line of {@code /etc/hosts} names the first address of {@code net0} (IPv4 before IPv6). */
    void updateEtcHosts() throws IOException {
        String hostip = null;
        String net0 = conf.get("net0");
        if (net0 != null) {
            Map<String, String> p = PropertyString.parse(net0, "name");
            NetIf n = new NetIf(0, p.get("name"), p.get("ip"), null, p.get("ip6"), null);
            if (n.staticIp()) hostip = NetIf.address(n.ip());
            else if (n.staticIp6()) hostip = NetIf.address(n.ip6());
        }
        String section = SystemFiles.hostsSection(fs.read("/etc/hosts"), hostip, hostname(), env.dns().search());
        fs.modify("/etc/hosts", section, ManagedSection.Placement.APPEND, false, 0644);
    }

    void setDns() throws IOException {
        fs.modify("/etc/resolv.conf", SystemFiles.resolvSection(env.dns()), ManagedSection.Placement.REPLACE, false, 0644);
    }

    /** {@code /etc/localtime} links to the zone's file when the container has it; {@code host} is the host's zone. */
    void setTimezone() throws IOException {
        String zone = conf.get("timezone");
        if (zone != null && zone.equals("host")) zone = env.hostTimezone();
        if (zone == null || zone.isEmpty()) return;
        String path = "/usr/share/zoneinfo/" + zone;
        if (!fs.isFile(path)) {
            System.err.println("container does not have " + path + ", timezone can not be modified");
            return;
        }
        if (!path.equals(fs.readLink("/etc/localtime"))) fs.replaceBySymlink(path, "/etc/localtime");
        if (fs.isFile("/etc/timezone")) fs.write("/etc/timezone", zone + "\n", 0644);
    }

    // ---- users --------------------------------------------------------------------------------------

    /** Sets a user's password (plain text is hashed with SHA-512 crypt and a random salt). */
    void setUserPassword(String user, String password) throws IOException {
        String passwd = fs.read("/etc/passwd");
        if (passwd == null) return;
        String hash = SystemFiles.isEncrypted(password) ? password : ShaCrypt.hash512(password);
        String shadow = fs.read("/etc/shadow");
        if (shadow != null) {
            fs.write("/etc/shadow", SystemFiles.setPassword(shadow, user, hash, true, env.day()), 0640);
            fs.write("/etc/passwd", SystemFiles.setPassword(passwd, user, "x", false, env.day()), 0644);
        } else {
            fs.write("/etc/passwd", SystemFiles.setPassword(passwd, user, hash, false, env.day()), 0644);
        }
    }

    /** Puts the keys into the PVE section of the user's {@code ~/.ssh/authorized_keys}. */
    void setAuthorizedKeys(String user, String keys) throws IOException {
        String home = SystemFiles.home(fs.read("/etc/passwd"), user);
        if (home == null) home = user.equals("root") ? "/root" : "/home/" + user;
        fs.makePath(home + "/.ssh", 0700);
        fs.modify(home + "/.ssh/authorized_keys", keys, ManagedSection.Placement.APPEND, false, 0600);
    }

    void randomizeCrontab() throws IOException {
        for (String name : fs.list("/etc/cron.d")) {
            if (name.matches("[A-Z\\-_a-z0-9]+")) randomizeCrontab("/etc/cron.d/" + name);
        }
        randomizeCrontab("/etc/crontab");
    }

    private void randomizeCrontab(String path) throws IOException {
        String text = fs.read(path);
        if (text == null) return;
        String updated = SystemFiles.randomizeCrontab(text, () -> env.random().nextInt(59));
        if (!updated.equals(text)) fs.write(path, updated, 0644);
    }

    // ---- consoles and systemd -----------------------------------------------------------------------

    /** Adds the container consoles to {@code /etc/securetty} when the container has one. */
    void setupSecuretty(String... devices) throws IOException {
        String text = fs.read("/etc/securetty");
        if (text == null) return;
        List<String> devs = devices.length > 0 ? List.of(devices) : List.of("lxc/console", "lxc/tty1", "lxc/tty2", "lxc/tty3", "lxc/tty4");
        String updated = SystemFiles.securetty(text, devs);
        if (!updated.equals(text)) fs.write("/etc/securetty", updated, 0644);
    }

    /**
     * A {@code container-getty@.service} that uses the container's tty devices, and one enabled instance per
     * container tty.
     */
    void setupContainerGettyService() throws IOException {
        String template = null;
        String text = null;
        for (String dir : List.of("/lib/systemd/system", "/usr/lib/systemd/system")) {
            text = fs.read(dir + "/container-getty@.service");
            if (text != null) { template = dir + "/container-getty@.service"; break; }
        }
        if (template == null) return;
        String instance = "/etc/systemd/system/container-getty@.service";
        String tty = ContainerSetup.devTtyDir(conf) + "tty%I";
        String replaced = text.replaceAll("pts/%I|lxc/tty%I", Matcher.quoteReplacement(tty));
        String target = template;
        if (!replaced.equals(text)) {
            fs.makePath("/etc/systemd/system", 0755);
            fs.write(instance, replaced, 0644);
            target = instance;
        }
        String wants = "/etc/systemd/system/getty.target.wants";
        fs.makePath(wants, 0755);
        int ttys = ttyCount();
        for (int i = 1; i <= 6; i++) {
            String link = wants + "/container-getty@" + i + ".service";
            if (i > ttys) fs.unlink(link);
            else fs.symlink(target, link);
        }
    }

    void setupSystemdPreset(Map<String, Boolean> units) throws IOException {
        fs.makePath("/etc/systemd/system-preset", 0755);
        fs.write("/etc/systemd/system-preset/00-pve.preset", SystemFiles.preset(units), 0644);
    }

    /** The presets PVE sets for systemd containers: container gettys instead of VT gettys, no kernel mounts. */
    static Map<String, Boolean> containerPresets() {
        Map<String, Boolean> m = new LinkedHashMap<>();
        m.put("container-getty@.service", true);
        m.put("getty@.service", false);
        m.put("sys-kernel-config.mount", false);
        m.put("sys-kernel-debug.mount", false);
        return m;
    }

    /** One systemd-networkd unit per interface. */
    void setupSystemdNetworkd() throws IOException {
        List<NetIf> nets = nets();
        if (nets.isEmpty()) return;
        fs.makePath("/etc/systemd/network", 0755);
        for (NetIf n : nets) fs.write("/etc/systemd/network/" + n.name() + ".network", NetworkFiles.networkd(n), 0644);
    }

    /** A connection UUID: zeros in test mode, else the one the existing file has, else a new one. */
    String uuid(String existing, Pattern field) {
        if (env.testMode()) return new UUID(0, 0).toString();
        if (existing != null) {
            Matcher m = field.matcher(existing);
            if (m.find()) return m.group(1);
        }
        return UUID.randomUUID().toString();
    }

    /** Compares dotted version strings numerically ({@code 3.8.0 < 3.13}). */
    static int compareVersions(String a, String b) {
        String[] x = a.split("\\D+"), y = b.split("\\D+");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length && !x[i].isEmpty() ? Long.parseLong(x[i]) : 0;
            long q = i < y.length && !y[i].isEmpty() ? Long.parseLong(y[i]) : 0;
            if (p != q) return Long.compare(p, q);
        }
        return 0;
    }

    /** The first number in a text ({@code release 8.3} → 8.3), or -1. */
    static double leadingNumber(String s) {
        if (s == null) return -1;
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)").matcher(s);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
