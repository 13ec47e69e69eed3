package org.haven.backup.notify;

import java.time.ZoneId;
import java.util.function.Consumer;
import org.haven.core.cfs.ClusterFs;

/**
 * Routes notifications: reads {@code notifications.cfg} and its private part from the cluster file system, asks
 * the matchers for targets and sends through each enabled one. A failing target is reported and does not keep
 * the others from being notified.
 */
public final class Notifier {
    private final ClusterFs cfs;
    private final Targets targets;
    private final ZoneId zone;

    public Notifier(ClusterFs cfs, Targets targets, ZoneId zone) {
        this.cfs = cfs;
        this.targets = targets;
        this.zone = zone;
    }

    /** A node's notifier: user e-mail addresses from {@code user.cfg}, the sender from {@code datacenter.cfg}'s {@code email_from}. */
    public static Notifier of(ClusterFs cfs, String hostname, ZoneId zone) {
        return new Notifier(cfs, new Targets(Targets.Env.system(u -> userEmail(cfs, u), defaultFrom(cfs, hostname))), zone);
    }

    public NotifyConfig config() {
        return NotifyConfig.parse(cfs.readString(NotifyConfig.PATH).orElse(""), cfs.readString(NotifyConfig.PRIV_PATH).orElse(""));
    }

    /** Sends {@code n} to every target a matcher routes it to; {@code errors} receives one line per failed target. */
    public void notify(Notification n, Consumer<String> errors) {
        notify(config(), n, errors);
    }

    void notify(NotifyConfig cfg, Notification n, Consumer<String> errors) {
        for (String name : Matchers.targets(cfg, n, zone)) {
            var t = cfg.target(name);
            if (t.isEmpty()) { errors.accept("could not notify via target '" + name + "': target does not exist"); continue; }
            if (t.get().flag("disable")) continue;
            try {
                targets.send(t.get(), cfg.secret(name).orElse(null), n);
            } catch (Exception e) {
                errors.accept("could not notify via target '" + name + "': " + e.getMessage());
            }
        }
    }

    /** Sends {@code n} through the one target {@code name} (the test endpoint); throws what it failed with. */
    public void send(NotifyConfig cfg, String name, Notification n) throws Exception {
        NotifyConfig.Section t = cfg.target(name).orElseThrow(() -> new IllegalArgumentException("target '" + name + "' does not exist"));
        targets.send(t, cfg.secret(name).orElse(null), n);
    }

    /** Sends {@code n} through the ad-hoc target {@code t} (no secrets). */
    public void send(NotifyConfig.Section t, Notification n) throws Exception {
        targets.send(t, null, n);
    }

    /** The e-mail address of user {@code userid} in {@code user.cfg} ({@code user:ID:ENABLE:EXPIRE:FIRST:LAST:EMAIL:…}), or null. */
    static String userEmail(ClusterFs cfs, String userid) {
        for (String line : cfs.readString("user.cfg").orElse("").split("\n")) {
            String[] f = line.strip().split(":", -1);
            if (f.length > 6 && f[0].equals("user") && f[1].equals(userid)) return f[6].isEmpty() ? null : f[6];
        }
        return null;
    }

    /** {@code email_from} of {@code datacenter.cfg}, else {@code root@<hostname>}. */
    static String defaultFrom(ClusterFs cfs, String hostname) {
        for (String line : cfs.readString("datacenter.cfg").orElse("").split("\n")) {
            String l = line.strip();
            if (l.startsWith("email_from:")) return l.substring(11).strip();
        }
        return "root@" + hostname;
    }
}
