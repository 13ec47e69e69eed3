package org.haven.backup.notify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.task.TaskLog;
import org.haven.backup.Units;
import org.haven.backup.Vzdump;

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

    /** The columns of PVE's guest table. */
    static final List<String> COLUMNS = List.of("VMID", "Name", "Status", "Time", "Size", "Filename");

    /**
     * The notification of a run on {@code hostname} ({@code jobId} may be null): the outcome, the guest table with
     * the total running time and size, then the task log; as plain text and as HTML from the same data. Pure.
     */
    public static Notification of(boolean failed, String hostname, String jobId, List<String> log, List<Vzdump.GuestResult> guests,
                                  long totalSeconds, long now) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("type", "vzdump");
        fields.put("hostname", hostname);
        if (jobId != null) fields.put("job-id", jobId);
        String title = "vzdump backup status (" + hostname + "): backup " + (failed ? "failed" : "successful");
        String outcome = (failed ? "Backup failed on node " : "Backup finished successfully on node ") + hostname + ".";
        List<List<String>> rows = new ArrayList<>();
        long size = 0;
        for (Vzdump.GuestResult g : guests) {
            rows.add(List.of(Integer.toString(g.vmid()), g.name(), g.ok() ? "ok" : "err", duration(g.seconds()),
                    g.ok() ? Units.sizeLong(g.size()) : "0 B", g.filename() == null ? "" : g.filename()));
            size += g.size();
        }
        String totals = "Total running time: " + duration(totalSeconds) + "\nTotal size: " + Units.sizeLong(size);
        String text = outcome + "\n\nDetails\n=======\n" + textTable(rows) + "\n" + totals + "\n\nLogs\n====\n" + String.join("\n", log) + "\n";
        String html = "<html>\n<body>\n<p>" + escape(outcome) + "</p>\n<h1 style=\"font-size: 1.2em\">Details</h1>\n" + htmlTable(rows)
                + "<p>" + escape(totals).replace("\n", "<br/>\n") + "</p>\n<h1 style=\"font-size: 1.2em\">Logs</h1>\n<pre>"
                + escape(String.join("\n", log)) + "</pre>\n</body>\n</html>\n";
        return new Notification(failed ? Notification.Severity.ERROR : Notification.Severity.INFO, title, text, fields, now, html);
    }

    /** PVE's durations: {@code 1h 2min 3s}, zero parts left out ({@code 0s} for nothing). */
    static String duration(long seconds) {
        StringBuilder sb = new StringBuilder();
        if (seconds >= 3600) sb.append(seconds / 3600).append("h ");
        if (seconds % 3600 >= 60) sb.append(seconds % 3600 / 60).append("min ");
        if (seconds % 60 > 0 || sb.isEmpty()) sb.append(seconds % 60).append('s');
        return sb.toString().strip();
    }

    /** The guest table as text: a header line, then one line per guest, each column as wide as its widest cell. */
    static String textTable(List<List<String>> rows) {
        int[] w = new int[COLUMNS.size()];
        for (int i = 0; i < w.length; i++) w[i] = COLUMNS.get(i).length();
        for (List<String> r : rows) for (int i = 0; i < w.length; i++) w[i] = Math.max(w[i], r.get(i).length());
        StringBuilder sb = new StringBuilder();
        List<List<String>> all = new ArrayList<>();
        all.add(COLUMNS);
        all.addAll(rows);
        for (List<String> r : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < w.length; i++) line.append(String.format("%-" + w[i] + "s", r.get(i))).append("    ");
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    /** The guest table as an HTML table with borders. */
    static String htmlTable(List<List<String>> rows) {
        String cell = " style=\"border: 1px solid;padding: 3px;\"";
        StringBuilder sb = new StringBuilder("<table style=\"border: 1px solid;border-collapse: collapse;\">\n<tr>");
        for (String c : COLUMNS) sb.append("<th").append(cell).append('>').append(escape(c)).append("</th>");
        sb.append("</tr>\n");
        for (List<String> r : rows) {
            sb.append("<tr>");
            for (String c : r) sb.append("<td").append(cell).append('>').append(escape(c)).append("</td>");
            sb.append("</tr>\n");
        }
        return sb.append("</table>\n").toString();
    }

    /** HTML text escaping. */
    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }

    /**
     * Runs {@code body} (the vzdump run) with its log kept, then notifies as {@code opts} say; the run's outcome is
     * passed on unchanged.
     */
    public static void run(TaskLog log, Map<String, String> opts, String hostname, String jobId, Notifier notifier, org.haven.core.time.Clock clock,
                           Body body) throws Exception {
        List<String> lines = new ArrayList<>();
        List<Vzdump.GuestResult> guests = new java.util.concurrent.CopyOnWriteArrayList<>();
        long start = clock.epochSeconds();
        TaskLog kept = new TaskLog() {
            @Override public String upid() { return log.upid(); }
            @Override public void log(String line) { synchronized (lines) { lines.add(line); } log.log(line); }
            @Override public void warn(String line) { synchronized (lines) { lines.add("WARN: " + line); } log.warn(line); }
            @Override public boolean stopRequested() { return log.stopRequested(); }
        };
        Exception failure = null;
        try {
            body.run(kept, guests::add);
        } catch (Exception e) {
            failure = e;
        }
        Notification n;
        long now = clock.epochSeconds();
        synchronized (lines) { n = of(failure != null, hostname, jobId, List.copyOf(lines), List.copyOf(guests), now - start, now); }
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

    /** A vzdump run: its task log, and where it tells the outcome of each guest. */
    @FunctionalInterface
    public interface Body {
        void run(TaskLog log, java.util.function.Consumer<Vzdump.GuestResult> results) throws Exception;
    }

    private static void report(String message) { LOG.log(System.Logger.Level.WARNING, message); }
}
