package org.haven.node.admin;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import org.haven.api.ApiException;
import org.haven.core.schema.Formats;
import org.haven.guest.config.GuestConfig;

/**
 * {@code /etc/hosts} as PVE serves it ({@code get_etc_hosts}/{@code write_etc_hosts}): the whole text with its
 * SHA-1 digest; a write checks every line that is not empty or a comment is an IP address followed by host names.
 */
public final class EtcHosts {
    private EtcHosts() {}

    private static final Pattern NAME = Pattern.compile("[.\\-a-zA-Z0-9]+");

    public static String digest(String text) { return GuestConfig.sha1Hex(text.getBytes(StandardCharsets.UTF_8)); }

    /** PVE's checks of a new file text: the first invalid address or name is a parameter error on {@code data}. */
    public static void check(String text) {
        for (String line : text.split("\n")) {
            if (line.matches("\\s*(#.*)?")) continue;
            String[] words = line.split("\\s+");
            if (!isIp(words[0])) throw ApiException.param("data", "Invalid IP '" + words[0] + "'");
            for (int i = 1; i < words.length; i++)
                if (!NAME.matcher(words[i]).matches()) throw ApiException.param("data", "Invalid Hostname '" + words[i] + "'");
        }
    }

    private static boolean isIp(String s) {
        try {
            Formats.check("ip", s);
            return true;
        } catch (Formats.FormatException e) {
            return false;
        }
    }
}
