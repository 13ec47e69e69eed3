package org.haven.lxc.setup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;

/** The text transforms of setup's system files (hosts, resolv.conf, shadow, inittab, securetty, presets, crontab). */
final class SystemFiles {
    private SystemFiles() {}

    /** DNS settings: search domains and name servers, in order. */
    record Dns(List<String> search, List<String> nameservers) {
        /** From config values ({@code searchdomain}, {@code nameserver}: lists split on space, comma or semicolon). */
        static Dns of(String search, String nameservers) { return new Dns(split(search), split(nameservers)); }

        static List<String> split(String s) {
            if (s == null || s.isBlank()) return List.of();
            return Arrays.stream(s.trim().split("[\\s,;]+")).filter(x -> !x.isEmpty()).toList();
        }
    }

    private static final Pattern LOOPBACK4 = Pattern.compile("(?m)^\\h*127\\.0\\.0\\.1\\h+");
    private static final Pattern LOOPBACK6 = Pattern.compile("(?m)^\\h*::1\\h+");

    /**
     * The PVE section of {@code /etc/hosts}: loopback entries the rest of the file lacks, then the host's own line
     * (its primary address, else {@code 127.0.1.1}) with the name qualified by every search domain.
     */
    static String hostsSection(String existing, String hostip, String hostname, List<String> search) {
        String namepart = hostname.replaceFirst("\\..*$", "");
        String names;
        if (hostname.contains(".")) {
            names = hostname + " " + namepart;
        } else {
            List<String> all = new ArrayList<>();
            for (String d : search) all.add(hostname + "." + d);
            all.add(hostname);
            names = String.join(" ", all);
        }
        StringBuilder s = new StringBuilder();
        String outside = existing == null ? null : withoutSections(existing);
        if (outside == null || !LOOPBACK4.matcher(outside).find()) s.append("127.0.0.1 localhost.localnet localhost\n");
        if (outside == null || !LOOPBACK6.matcher(outside).find()) s.append("::1 localhost.localnet localhost\n");
        if (hostip != null) s.append(hostip).append(' ').append(names).append('\n');
        else if (!namepart.equals("localhost")) s.append("127.0.1.1 ").append(names).append('\n');
        else s.append("127.0.1.1 ").append(namepart).append('\n');
        return s.toString();
    }

    /** The text without any PVE sections. */
    static String withoutSections(String text) {
        StringBuilder out = new StringBuilder();
        boolean in = false;
        for (String line : text.split("\n", -1)) {
            if (!in && ManagedSection.isBegin(line)) { in = true; continue; }
            if (in) { if (ManagedSection.isEnd(line)) in = false; continue; }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** The PVE section of {@code /etc/resolv.conf}. */
    static String resolvSection(Dns dns) {
        StringBuilder s = new StringBuilder();
        if (!dns.search().isEmpty()) s.append("search ").append(String.join(" ", dns.search())).append('\n');
        for (String ns : dns.nameservers()) s.append("nameserver ").append(ns).append('\n');
        return s.toString();
    }

    private static final Pattern ENCRYPTED = Pattern.compile("^\\$(?:1|2[axy]?|5|6)\\$[a-zA-Z0-9./]{1,16}\\$[a-zA-Z0-9./]+$");

    /** True when a password is already a crypt(3) hash PVE takes as it is. */
    static boolean isEncrypted(String password) { return ENCRYPTED.matcher(password).matches(); }

    /**
     * {@code passwd} or {@code shadow} with the user's password field set to {@code hash}; in shadow format the
     * last-change field becomes {@code day} (days since 1970).
     */
    static String setPassword(String text, String user, String hash, boolean shadow, long day) {
        StringBuilder out = new StringBuilder();
        for (String line : text.split("(?<=\n)")) {
            String[] f = line.split(":", -1);
            if (f.length >= (shadow ? 3 : 2) && f[0].equals(user)) {
                f[1] = hash;
                if (shadow) f[2] = Long.toString(day);
                line = String.join(":", f);
            }
            out.append(line);
        }
        return out.toString();
    }

    /** The home directory of a user in {@code passwd} text, or null. */
    static String home(String passwd, String user) {
        if (passwd == null) return null;
        for (String line : passwd.split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length >= 7 && f[0].equals(user) && f[5].startsWith("/")) return f[5];
        }
        return null;
    }

    private static final Pattern GETTY = Pattern.compile("^\\s*\\d+:\\d*:[^:]*:.*getty.*");
    private static final Pattern POWER = Pattern.compile("^\\s*p[fno0]:.*");

    /**
     * Debian's {@code /etc/inittab}: getty and power-failure lines replaced by a power-fail shutdown and one getty
     * per container tty (tty7 skipped, X's console). Debian before 7 lacks {@code --noclear}.
     */
    static String inittab(String text, int ttys, double version) {
        StringBuilder out = new StringBuilder();
        for (String line : ManagedSection.lines(text)) {
            if (GETTY.matcher(line).matches() || POWER.matcher(line).matches()) continue;
            out.append(line).append('\n');
        }
        out.append("p0::powerfail:/sbin/init 0\n");
        for (int id = 1; id <= ttys; id++) {
            if (id == 7) continue;
            String levels = id == 1 ? "2345" : "23";
            out.append(id).append(':').append(levels).append(":respawn:/sbin/getty ")
                    .append(version < 7 ? "-L" : "--noclear").append(" 38400 tty").append(id).append('\n');
        }
        return out.toString();
    }

    private static final Pattern GENTOO_GETTY = Pattern.compile("^\\s*c?\\d+:\\d*:[^:]*:.*getty.*");

    /** Gentoo's {@code /etc/inittab}: its getty lines replaced by one agetty per container tty. */
    static String gentooInittab(String text, int ttys) {
        StringBuilder out = new StringBuilder();
        for (String line : ManagedSection.lines(text)) if (!GENTOO_GETTY.matcher(line).matches()) out.append(line).append('\n');
        for (int id = 1; id <= ttys; id++) {
            if (id != 7) out.append('c').append(id).append(":2345:respawn:/sbin/agetty --noclear 38400 tty").append(id).append(" linux\n");
        }
        return out.toString();
    }

    /** {@code /etc/securetty} with the devices added that it does not list yet. */
    static String securetty(String text, List<String> devices) {
        StringBuilder out = new StringBuilder(text);
        if (!out.isEmpty() && out.charAt(out.length() - 1) != '\n') out.append('\n');
        for (String dev : devices) {
            if (!Pattern.compile("(?m)^" + Pattern.quote(dev) + "\\s*$").matcher(out).find()) out.append(dev).append('\n');
        }
        return out.toString();
    }

    /** A systemd preset file enabling ({@code true}) or disabling units, sorted by unit name. */
    static String preset(Map<String, Boolean> units) {
        StringBuilder s = new StringBuilder("# Added by PVE at create-time for first-boot configuration.\n");
        for (var e : new TreeMap<>(units).entrySet()) s.append(e.getValue() ? "enable " : "disable ").append(e.getKey()).append('\n');
        return s.toString();
    }

    private static final Pattern ROOT_CRON = Pattern.compile("^\\d+(\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+root\\s+\\S.*)$");

    /** A crontab whose root jobs run at a minute from {@code minute} (so containers from one template spread out). */
    static String randomizeCrontab(String text, IntSupplier minute) {
        StringBuilder out = new StringBuilder();
        for (String line : ManagedSection.lines(text)) {
            var m = ROOT_CRON.matcher(line);
            out.append(m.matches() ? minute.getAsInt() + m.group(1) : line).append('\n');
        }
        return out.toString();
    }
}
