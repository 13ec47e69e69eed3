package org.haven.metrics;

import org.haven.core.format.SectionConfig;

/**
 * One external metric server of {@code status.cfg} with PVE's defaults filled in: Graphite on port 2003 below path
 * {@code proxmox} over UDP, InfluxDB over UDP, or over HTTP(S) to organization and bucket {@code proxmox} with
 * requests up to 25000000 bytes; UDP datagrams hold at most {@code mtu - 50} bytes of data.
 */
public record MetricServer(String id, String type, String server, int port, boolean disable, int mtu, int timeout,
                           String path, String proto, String influxdbproto, String organization, String bucket,
                           String token, long maxBodySize, String apiPathPrefix, boolean verifyCertificate) {

    static MetricServer of(SectionConfig.Section s, String token) {
        boolean graphite = s.type().equals("graphite");
        return new MetricServer(s.id(), s.type(), s.get("server").orElse(""),
                (int) num(s, "port", graphite ? 2003 : 8089), flag(s, "disable", false), (int) num(s, "mtu", 1500),
                (int) num(s, "timeout", 1), s.get("path").orElse("proxmox"), s.get("proto").orElse("udp"),
                s.get("influxdbproto").orElse("udp"), s.get("organization").orElse("proxmox"),
                s.get("bucket").orElse("proxmox"), token != null ? token : s.get("token").orElse(null),
                num(s, "max-body-size", 25_000_000), s.get("api-path-prefix").orElse(null), flag(s, "verify-certificate", true));
    }

    private static long num(SectionConfig.Section s, String key, long def) {
        try {
            return s.get(key).map(Long::parseLong).orElse(def);
        } catch (NumberFormatException e) {
            return def;
        }
    }

    private static boolean flag(SectionConfig.Section s, String key, boolean def) {
        return s.get(key).map(v -> v.equals("1") || v.isEmpty()).orElse(def);
    }

    /** True when the data goes over HTTP(S) (InfluxDB's v2 write API), false for a UDP or TCP socket. */
    public boolean http() { return type.equals("influxdb") && !influxdbproto.equals("udp"); }

    /**
     * PVE's batch size: data is sent once adding a line would pass it (and the queue holds more than half):
     * {@code max-body-size} over HTTP, {@code mtu - 50} (room for the IPv6 and UDP headers) otherwise.
     */
    public long batchSize() { return http() ? maxBodySize : mtu - 50; }

    /** The InfluxDB v2 write URL: {@code <proto>://<server>:<port>/<api-path-prefix>/api/v2/write?org=…&bucket=…}. */
    public String writeUrl() {
        String prefix = apiPathPrefix == null ? "/" : apiPathPrefix;
        if (!prefix.startsWith("/")) prefix = "/" + prefix;
        if (!prefix.endsWith("/")) prefix = prefix + "/";
        String host = server.contains(":") ? "[" + server + "]" : server;
        return influxdbproto + "://" + host + ":" + port + prefix + "api/v2/write?org=" + enc(organization) + "&bucket=" + enc(bucket);
    }

    private static String enc(String s) { return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8); }
}
