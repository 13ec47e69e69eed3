package org.haven.lxc.setup;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The part of a file PVE owns, between {@code # --- BEGIN PVE ---} and {@code # --- END PVE ---}: setup replaces
 * only that part and leaves the rest of the file as the user wrote it.
 */
final class ManagedSection {
    private ManagedSection() {}

    static final String BEGIN = "# --- BEGIN PVE ---";
    static final String END = "# --- END PVE ---";
    private static final Pattern BEGIN_LINE = Pattern.compile("^#\\s*---\\s*BEGIN\\s*PVE\\s*.*");
    private static final Pattern END_LINE = Pattern.compile("^#\\s*---\\s*END\\s*PVE\\s*.*", Pattern.CASE_INSENSITIVE);

    /** Where a new section goes in a file that has none. */
    enum Placement { APPEND, PREPEND, REPLACE }

    static boolean isBegin(String line) { return BEGIN_LINE.matcher(line).matches(); }

    static boolean isEnd(String line) { return END_LINE.matcher(line).matches(); }

    /** {@code data} wrapped in the markers. */
    static String wrap(String data) {
        return BEGIN + "\n" + withNewline(data) + END + "\n";
    }

    /**
     * The file after setting the section to {@code data}: an existing section is replaced in place (or removed when
     * {@code data} is empty); without one, a non-empty section is added as {@code placement} says. {@code old} is
     * null for a missing file. Returns null when the file ends up with nothing in it.
     */
    static String apply(String old, String data, Placement placement) {
        boolean empty = data == null || data.isEmpty();
        if (old == null) return empty ? null : wrap(data);
        List<String> lines = lines(old);
        int beg = -1, end = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (beg < 0 && isBegin(lines.get(i))) beg = i;
            else if (beg >= 0 && isEnd(lines.get(i))) { end = i; break; }
        }
        if (beg >= 0 && end >= 0) {
            List<String> out = new ArrayList<>(lines.subList(0, beg));
            if (!empty) out.addAll(lines(wrap(data)));
            out.addAll(lines.subList(end + 1, lines.size()));
            return out.isEmpty() ? null : String.join("\n", out) + "\n";
        }
        if (empty) return old;
        return switch (placement) {
            case REPLACE -> wrap(data);
            case PREPEND -> wrap(data) + join(lines);
            case APPEND -> join(lines) + wrap(data);
        };
    }

    private static String join(List<String> lines) {
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }

    private static String withNewline(String s) {
        return s.endsWith("\n") ? s : s + "\n";
    }

    /** The lines of a text as Perl's {@code split(/\n/)} gives them: trailing empty lines are dropped. */
    static List<String> lines(String text) {
        List<String> out = new ArrayList<>(List.of(text.split("\n", -1)));
        while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) out.remove(out.size() - 1);
        return out;
    }
}
