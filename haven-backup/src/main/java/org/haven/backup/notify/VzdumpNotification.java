package org.haven.backup.notify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.task.TaskLog;
import org.haven.api.task.TaskWorker;

/**
 * The notification at the end of a vzdump run, as PVE 8.4 sends it: severity {@code info} or {@code error},
 * fields {@code type=vzdump}, {@code hostname} and (for backup jobs) {@code job-id}, the task log as body.
 * Where it goes follows {@code notification-mode}: {@code notification-system} uses the matchers,
 * {@code legacy-sendmail} mails the {@code mailto} addresses directly (only on failure with
 * {@code mailnotification failure}), {@code auto} is legacy when {@code mailto} is set and the notification
 * system otherwise. As PVE's, a target that fails is reported in the daemon's log, not in the task log, so the
 * task's status stays the backup's.
 */
public final class VzdumpNotification {
    private static final System.Logger LOG = System.getLogger("haven.notify");
    private VzdumpNotification() {}

    /** Where a run's notification goes. */
    public enum Route { NONE, LEGACY_SENDMAIL, NOTIFICATION_SYSTEM }

    /** The route for vzdump options {@code opts} (parameters over {@code vzdump.conf}) and the run's outcome. Pure. */
    public static Route route(Map<String, String> opts, boolean failed) {
        String mode = opts.getOrDefault("notification-mode", "auto");
        List<String> mailto = mailto(opts);
        boolean legacy = mode.equals("legacy-sendmail") || (mode.equals("auto") && !mailto.isEmpty());
        if (!legacy) return Route.NOTIFICATION_SYSTEM;
        String policy = opts.getOrDefault("mailnotification", opts.getOrDefault("notification-policy", "always"));
        if (mailto.isEmpty() || policy.equals("never") || (policy.equals("failure") && !failed)) return Route.NONE;
        return Route.LEGACY_SENDMAIL;
    }

    static List<String> mailto(Map<String, String> opts) {
        List<String> out = new ArrayList<>();
        for (String a : opts.getOrDefault("mailto", "").split("[,;\\s]+")) if (!a.isEmpty()) out.add(a);
        return out;
    }

    /** The notification of a run on {@code hostname}; {@code jobId} may be null. Pure. */
    public static Notification of(boolean failed, String hostname, String jobId, List<String> log, long now) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("type", "vzdump");
        fields.put("hostname", hostname);
        if (jobId != null) fields.put("job-id", jobId);
        String title = "vzdump backup status (" + hostname + "): backup " + (failed ? "failed" : "successful");
        String body = (failed ? "Backup failed on node " : "Backup finished successfully on node ") + hostname + ".\n\nLogs\n====\n" + String.join("\n", log) + "\n";
        return new Notification(failed ? Notification.Severity.ERROR : Notification.Severity.INFO, title, body, fields, now);
    }

    /**
     * Runs {@code body} (the vzdump run) with its log kept, then notifies as {@code opts} say; the run's outcome is
     * passed on unchanged.
     */
    public static void run(TaskLog log, Map<String, String> opts, String hostname, String jobId, Notifier notifier, org.haven.core.time.Clock clock, TaskWorker body) throws Exception {
        List<String> lines = new ArrayList<>();
        TaskLog kept = new TaskLog() {
            @Override public String upid() { return log.upid(); }
            @Override public void log(String line) { synchronized (lines) { lines.add(line); } log.log(line); }
            @Override public void warn(String line) { synchronized (lines) { lines.add("WARN: " + line); } log.warn(line); }
            @Override public boolean stopRequested() { return log.stopRequested(); }
        };
        Exception failure = null;
        try {
            body.run(kept);
        } catch (Exception e) {
            failure = e;
        }
        Notification n;
        synchronized (lines) { n = of(failure != null, hostname, jobId, List.copyOf(lines), clock.epochSeconds()); }
        switch (route(opts, failure != null)) {
            case NOTIFICATION_SYSTEM -> notifier.notify(n, VzdumpNotification::report);
            case LEGACY_SENDMAIL -> {
                NotifyConfig.Section t = new NotifyConfig.Section("sendmail", "mail-to-vzdump").set("mailto", mailto(opts)).set("author", "vzdump backup tool");
                try {
                    notifier.send(t, n);
                } catch (Exception e) {
                    report("could not notify via target 'mail-to-<" + String.join(",", mailto(opts)) + ">': " + e.getMessage());
                }
            }
            case NONE -> { }
        }
        if (failure != null) throw failure;
    }

    private static void report(String message) { LOG.log(System.Logger.Level.WARNING, message); }
}
