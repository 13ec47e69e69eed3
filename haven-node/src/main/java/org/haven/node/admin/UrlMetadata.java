package org.haven.node.admin;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PVE's {@code query-url-metadata} answer from a HEAD response: the file name from {@code Content-Disposition}
 * (else the last path segment of the URL), the size from {@code Content-Length} and the MIME type from
 * {@code Content-Type} without its parameters. Only a 200 answer counts.
 */
public final class UrlMetadata {
    private UrlMetadata() {}

    private static final Pattern QUOTED = Pattern.compile("filename=\"([^\"]*)\"");
    private static final Pattern PLAIN = Pattern.compile("filename=([^;]*)");
    private static final Pattern URL_NAME = Pattern.compile("^[^?]+/([^?/]*)(?:\\?.*)?$");

    public static Map<String, Object> of(String url, int status, String reason, String length, String disposition, String type) {
        if (status != 200) throw new IllegalArgumentException("invalid server response: '" + status + (reason == null ? "" : " " + reason) + "'");
        String filename = null;
        Matcher m;
        if (disposition != null && ((m = QUOTED.matcher(disposition)).find() || (m = PLAIN.matcher(disposition)).find())) filename = m.group(1);
        else if ((m = URL_NAME.matcher(url)).find()) filename = m.group(1);
        if (type != null && type.contains(";")) type = type.substring(0, type.indexOf(';'));
        Map<String, Object> out = new LinkedHashMap<>();
        if (filename != null && !filename.isEmpty()) out.put("filename", filename);
        if (length != null && length.strip().matches("\\d+") && Long.parseLong(length.strip()) > 0) out.put("size", Long.parseLong(length.strip()));
        if (type != null && !type.isEmpty()) out.put("mimetype", type);
        return out;
    }
}
