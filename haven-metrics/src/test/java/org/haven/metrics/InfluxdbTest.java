package org.haven.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Debian's InfluxDB (1.x) takes the node's statistics on its UDP listener, as PVE's guide configures it. */
@RealTest
class InfluxdbTest {
    @TempDir Path tmp;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) { return s.getLocalPort(); }
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) { return s.getLocalPort(); }
    }

    JsonNode query(int port, String q) throws Exception {
        String url = "http://127.0.0.1:" + port + "/query?db=proxmox&q=" + URLEncoder.encode(q, StandardCharsets.UTF_8);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JsonMapper.builder().build().readTree(r.body()).path("results").path(0);
    }

    /** The rows of {@code q} as maps column → value. */
    Map<String, Map<String, Object>> rows(int port, String q, String key) throws Exception {
        Map<String, Map<String, Object>> out = new HashMap<>();
        for (JsonNode series : query(port, q).path("series")) {
            JsonNode cols = series.path("columns");
            for (JsonNode v : series.path("values")) {
                Map<String, Object> row = new HashMap<>();
                for (int i = 0; i < cols.size(); i++) row.put(cols.get(i).asString(), v.get(i).isNumber() ? v.get(i).asDouble() : v.get(i).asString());
                out.put(String.valueOf(row.get(key)), row);
            }
        }
        return out;
    }

    @Test
    void udpLinesLandAsPveNamesThem() throws Exception {
        Tools.require("influxdb", "influxd");
        int httpPort = freeTcpPort(), rpcPort = freeTcpPort(), udpPort = freeUdpPort();
        Path conf = tmp.resolve("influxdb.conf");
        Files.writeString(conf, """
                reporting-disabled = true
                bind-address = "127.0.0.1:%d"
                [meta]
                  dir = "%s/meta"
                [data]
                  dir = "%s/data"
                  wal-dir = "%s/wal"
                [monitor]
                  store-enabled = false
                [http]
                  enabled = true
                  bind-address = "127.0.0.1:%d"
                  log-enabled = false
                [[udp]]
                  enabled = true
                  bind-address = "127.0.0.1:%d"
                  database = "proxmox"
                  batch-size = 1000
                  batch-timeout = "50ms"
                """.formatted(rpcPort, tmp, tmp, tmp, httpPort, udpPort));
        Process influxd = new ProcessBuilder("influxd", "-config", conf.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("influxd.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                try {
                    if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ping")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 204) break;
                } catch (IOException e) {
                    assertThat(influxd.isAlive()).as(Files.readString(tmp.resolve("influxd.log"))).isTrue();
                }
                assertThat(System.nanoTime()).as("influxd did not answer").isLessThan(deadline);
                Thread.sleep(200);
            }
            query(httpPort, "CREATE DATABASE proxmox");

            MetricServer server = StatusConfig.servers(StatusConfig.parse("influxdb: i\n\tserver 127.0.0.1\n\tport " + udpPort + "\n"), id -> null).get(0);
            Map<String, Map<String, Object>> qemu = Map.of();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            // UDP may be dropped while the listener starts: send until the data is there
            while (qemu.isEmpty() && System.nanoTime() < until) {
                new MetricSender().send(server, FormatTest.SNAP);
                Thread.sleep(300);
                qemu = rows(httpPort, "SELECT * FROM \"system\" WHERE \"object\" = 'qemu'", "host");
            }
            assertThat(qemu).containsOnlyKeys("web 1");
            Map<String, Object> vm = qemu.get("web 1");
            // vmid is both a tag and a field, as PVE sends it: InfluxDB shows the tag as vmid_1
            assertThat(vm).containsEntry("vmid", 100.0).containsEntry("vmid_1", "100").containsEntry("nodename", "n1").containsEntry("name", "web 1")
                    .containsEntry("status", "running").containsEntry("cpu", 0.5).containsEntry("mem", 1024.0)
                    .containsEntry("time", "2023-11-14T22:13:20Z");

            Map<String, Object> mem = rows(httpPort, "SELECT * FROM \"memory\"", "host").get("n1");
            assertThat(mem).containsEntry("object", "nodes").containsEntry("memtotal", 8192.0).containsEntry("memused", 4096.0);
            Map<String, Map<String, Object>> nics = rows(httpPort, "SELECT * FROM \"nics\"", "instance");
            assertThat(nics.get("eth0")).containsEntry("receive", 100.0).containsEntry("transmit", 200.0);
            Map<String, Object> storage = rows(httpPort, "SELECT * FROM \"system\" WHERE \"object\" = 'storages'", "host").get("local");
            assertThat(storage).containsEntry("nodename", "n1").containsEntry("total", 1000.0).containsEntry("used", 250.0);
        } finally {
            influxd.destroy();
            if (!influxd.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) influxd.destroyForcibly().waitFor();
        }
    }
}
