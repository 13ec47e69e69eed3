package org.haven.it.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.Resp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running daemon sends its statistics to the Graphite server configured through {@code /cluster/metrics/server}
 * and serves them to a Prometheus scrape with an API token.
 */
@E2eTest
class MetricsEndToEndTest {
    @TempDir Path dir;

    @Test
    void theNodeSendsToGraphiteAndServesPrometheus() throws Exception {
        try (HavenNode node = HavenNode.start(dir.resolve("node"), "metr");
             DatagramSocket rx = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Auth admin = node.login("admin@pve", node.adminPassword());
            Resp created = node.post("/cluster/metrics/server/graphite1", Map.of("type", "graphite", "server", "127.0.0.1",
                    "port", String.valueOf(rx.getLocalPort()), "path", "haven.e2e"), admin);
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            assertThat(node.get("/cluster/metrics/server", admin).data().get(0).get("id").asString()).isEqualTo("graphite1");

            // the node sends every 10 s
            rx.setSoTimeout(30_000);
            byte[] buf = new byte[65536];
            String received = "";
            while (!received.contains("haven.e2e.nodes.metr.uptime ")) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                rx.receive(p);
                received += new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            }
            assertThat(received).containsPattern("haven\\.e2e\\.nodes\\.metr\\.memory\\.memtotal [0-9]+ [0-9]{10}\n");

            Resp token = node.post("/access/users/admin@pve/token/prom", Map.of("privsep", "0"), admin);
            assertThat(token.status()).as(token.body()).isEqualTo(200);
            String value = "admin@pve!prom=" + token.data().get("value").asString();
            URI scrape = URI.create("https://127.0.0.1:" + node.port() + "/api2/prometheus/metrics");
            HttpResponse<String> r = node.https().send(HttpRequest.newBuilder(scrape).header("Authorization", "PVEAPIToken=" + value).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain; version=0.0.4"));
            assertThat(r.body()).contains("# TYPE haven_uptime gauge\n").containsPattern("haven_mem_total\\{id=\"node/metr\",type=\"node\"\\} [0-9]+\n");
            HttpResponse<String> anonymous = node.https().send(HttpRequest.newBuilder(scrape).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
        }
    }
}
