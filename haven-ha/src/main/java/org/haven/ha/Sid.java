package org.haven.ha;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An HA resource id {@code type:name}, e.g. {@code vm:100}. A bare number means a VM. */
public record Sid(String type, String name) {
    private static final Pattern P = Pattern.compile("^(?:([a-z][a-z0-9_-]*):)?(\\S+)$");

    public static Sid parse(String sid) {
        Matcher m = P.matcher(sid);
        if (!m.matches()) throw new IllegalArgumentException("unable to parse service id '" + sid + "'");
        String type = m.group(1) == null ? "vm" : m.group(1);
        return new Sid(type, m.group(2));
    }

    @Override public String toString() { return type + ":" + name; }
}
