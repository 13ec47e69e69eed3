package org.haven.node.admin;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import org.haven.api.ApiException;
import org.haven.api.LogFiles;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The node's systemd journal through {@code journalctl}: the paged syslog view ({@code GET /nodes/{node}/syslog},
 * PVE's {@code dump_journal}) and the cursor-framed journal view ({@code GET /nodes/{node}/journal}, PVE's
 * {@code mini-journalreader}: the first and the last line are the cursors of the first and last entry, the lines
 * between are entries in journalctl's {@code short} format). {@code directory} reads the journal files of one
 * directory instead of the system journal.
 */
public final class Journal {
    /** The entries the journal view shows when no range is asked for (mini-journalreader's default). */
    static final int DEFAULT_ENTRIES = 50;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final DateTimeFormatter SHORT = DateTimeFormatter.ofPattern("MMM dd HH:mm:ss", Locale.ROOT);

    /** A journal view: any field may be null. */
    public record Query(Integer lastentries, Long since, Long until, String startcursor, String endcursor) {}

    private final Path directory;
    private final ZoneId zone;

    public Journal(Path directory, ZoneId zone) {
        this.directory = directory;
        this.zone = zone;
    }

    private static List<String> base(Path directory, String output) {
        List<String> cmd = new ArrayList<>(List.of("journalctl", "--no-pager", "-o", output));
        if (directory != null) cmd.add("--directory=" + directory);
        return cmd;
    }

    /**
     * PVE's {@code dump_journal} command ({@code since}/{@code until} as {@code YYYY-MM-DD[ HH:MM[:SS]]}); a service
     * of the node's service list is read from the unit behind it ({@link Services#unit}), any other name as a unit.
     */
    static List<String> syslogCommand(Path directory, String since, String until, String service) {
        List<String> cmd = base(directory, "short");
        if (service != null) cmd.add("--unit=" + (Services.LIST.containsKey(service) ? Services.unit(service) : service));
        if (since != null) cmd.add("--since=" + since);
        if (until != null) cmd.add("--until=" + until);
        return cmd;
    }

    /** The journalctl command of a journal view (entries as JSON, in reverse when counting back from the end or a cursor). */
    static List<String> journalCommand(Path directory, Query q) {
        List<String> cmd = base(directory, "json");
        Integer n = count(q);
        if (n != null) {
            if (q.endcursor() != null) {
                cmd.add("--reverse");
                cmd.add("--cursor=" + q.endcursor());
                cmd.add("--lines=" + (n + 1));
            } else {
                cmd.add("--lines=" + n);
            }
        } else if (q.since() != null) {
            cmd.add("--since=@" + q.since());
        } else if (q.startcursor() != null) {
            cmd.add("--after-cursor=" + q.startcursor());
        }
        if (q.until() != null) cmd.add("--until=@" + q.until());
        return cmd;
    }

    /** How many entries to count back, or null for a range. */
    private static Integer count(Query q) {
        if (q.lastentries() != null && q.lastentries() > 0) return q.lastentries();
        if (q.since() == null && q.until() == null && q.startcursor() == null && q.endcursor() == null) return DEFAULT_ENTRIES;
        return null;
    }

    /** The journal view's lines from journalctl's JSON entries (in the order {@link #journalCommand} printed them). */
    static List<String> journalLines(List<JsonNode> printed, Query q, ZoneId zone) {
        List<JsonNode> entries = new ArrayList<>(printed);
        if (count(q) != null && q.endcursor() != null) {
            if (!entries.isEmpty() && q.endcursor().equals(entries.get(0).path("__CURSOR").asString())) entries.remove(0);
            while (entries.size() > count(q)) entries.remove(entries.size() - 1);
            Collections.reverse(entries);
        } else if (q.endcursor() != null) {
            for (int i = 0; i < entries.size(); i++) {
                if (q.endcursor().equals(entries.get(i).path("__CURSOR").asString())) {
                    entries = new ArrayList<>(entries.subList(0, i));
                    break;
                }
            }
        }
        List<String> out = new ArrayList<>();
        if (entries.isEmpty()) {
            if (q.startcursor() != null) return List.of(q.startcursor(), q.startcursor());
            return out;
        }
        out.add(entries.get(0).path("__CURSOR").asString());
        for (JsonNode e : entries) out.add(shortLine(e, zone));
        out.add(entries.get(entries.size() - 1).path("__CURSOR").asString());
        return out;
    }

    /** An entry in journalctl's {@code short} format: {@code Mon dd HH:MM:SS host identifier[pid]: message}. */
    static String shortLine(JsonNode e, ZoneId zone) {
        long micros = Long.parseLong(e.path("__REALTIME_TIMESTAMP").asString("0"));
        StringBuilder b = new StringBuilder(SHORT.format(Instant.ofEpochSecond(micros / 1_000_000).atZone(zone)));
        String host = field(e, "_HOSTNAME");
        if (host != null) b.append(' ').append(host);
        String ident = field(e, "SYSLOG_IDENTIFIER");
        if (ident == null) ident = field(e, "_COMM");
        String pid = field(e, "_PID");
        if (pid == null) pid = field(e, "SYSLOG_PID");
        if (ident != null) {
            b.append(' ').append(ident);
            if (pid != null) b.append('[').append(pid).append(']');
            b.append(':');
        }
        String msg = field(e, "MESSAGE");
        return b.append(' ').append(msg == null ? "" : msg).toString();
    }

    /** A field's text; journalctl prints a field that is not valid UTF-8 as an array of bytes. */
    private static String field(JsonNode e, String name) {
        JsonNode v = e.get(name);
        if (v == null || v.isNull()) return null;
        if (v.isArray()) {
            byte[] raw = new byte[v.size()];
            for (int i = 0; i < raw.length; i++) raw[i] = (byte) v.get(i).asInt();
            return new String(raw, StandardCharsets.UTF_8);
        }
        return v.asString();
    }

    /** {@code GET /syslog}: lines {@code start+1 …} ({@code limit} of them, default 50) and their total. */
    public LogFiles.Page syslog(int start, int limit, String since, String until, String service) {
        return run(syslogCommand(directory, since, until, service), r -> LogFiles.dump(r, start, limit > 0 ? limit : 50, l -> true));
    }

    /** {@code GET /journal}. */
    public List<String> journal(Query q) {
        List<JsonNode> entries = run(journalCommand(directory, q), r -> {
            List<JsonNode> out = new ArrayList<>();
            for (String line; (line = r.readLine()) != null; ) if (!line.isBlank()) out.add(JSON.readTree(line));
            return out;
        });
        return journalLines(entries, q, zone);
    }

    private interface Reader<T> { T read(BufferedReader r) throws IOException; }

    private static <T> T run(List<String> cmd, Reader<T> reader) {
        try {
            Process p = new ProcessBuilder(cmd).start();
            p.getOutputStream().close();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            Thread errs = Thread.ofVirtual().start(() -> { try { p.getErrorStream().transferTo(err); } catch (IOException ignored) { } });
            T out;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                out = reader.read(r);
            }
            int rc = p.waitFor();
            errs.join();
            if (rc != 0) throw ApiException.error("command '" + String.join(" ", cmd) + "' failed: exit code " + rc + ": " + err.toString(StandardCharsets.UTF_8).trim());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.error("interrupted");
        }
    }
}
