package org.haven.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Pages of a log file as PVE's log methods return them ({@code PVE::Tools::dump_logfile}): the lines that pass
 * {@code filter} are numbered from 1; lines {@code start+1 … start+limit} are returned as {@code {n, t}}
 * ({@code limit} 0: to the end) and {@code total} is the number of matching lines. An empty result holds the
 * line {@code no content}; a missing file the line {@code unable to open file - …}.
 */
public final class LogFiles {
    private LogFiles() {}

    public record Page(int total, List<Map<String, Object>> lines) {}

    public static Page dump(Path file, int start, int limit, Predicate<String> filter) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return dump(r, start, limit, filter);
        } catch (NoSuchFileException e) {
            return new Page(1, List.of(line(1, "unable to open file - No such file or directory")));
        } catch (IOException e) {
            return new Page(1, List.of(line(1, "unable to open file - " + e.getMessage())));
        }
    }

    /** The same page over the lines of {@code r} (a command's output, as PVE's {@code dump_journal}). */
    public static Page dump(BufferedReader r, int start, int limit, Predicate<String> filter) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        int count = 0;
        boolean toEnd = limit <= 0;
        int left = limit;
        for (String line; (line = r.readLine()) != null; ) {
            if (!filter.test(line)) continue;
            if (count++ < start) continue;
            if (!toEnd) {
                if (left <= 0) continue;
                left--;
            }
            out.add(line(count, line));
        }
        if (count == 0) return new Page(1, List.of(line(1, "no content")));
        return new Page(count, out);
    }

    private static Map<String, Object> line(int n, String t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", n);
        m.put("t", t);
        return m;
    }
}
