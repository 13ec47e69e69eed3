package org.haven.node;

import java.io.InputStream;
import java.util.Properties;

/** The PVE release Haven is compatible with, and the build's revision. */
public final class Version {
    private Version() {}

    public static final String RELEASE = "8.4";
    public static final String VERSION = "8.4.1";

    private static volatile String repoid;

    /** Short git revision of the build (from {@code haven-version.properties}), or {@code 00000000}. */
    public static String repoid() {
        String r = repoid;
        if (r != null) return r;
        r = "00000000";
        try (InputStream in = Version.class.getResourceAsStream("/haven-version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("repoid", "").trim();
                if (v.matches("[0-9a-fA-F]{8,64}")) r = v;
            }
        } catch (Exception ignored) { }
        repoid = r;
        return r;
    }
}
