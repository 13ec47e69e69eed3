package org.haven.it.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.Resp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two daemons sharing one cluster file system directory (as the local cfs allows): requests for the other
 * node are proxied to it over HTTPS (PVE's proxyto), with tickets, tokens and the CLI's root identity.
 */
@E2eTest
class ProxyEndToEndTest {
    @TempDir Path dir;

    @Test
    void requestsForAnotherNodeAreProxied() throws Exception {
        Path d1 = dir.resolve("n1");
        Path d2 = dir.resolve("n2");
        Files.createDirectories(d1.resolve("cfs"));
        Files.createDirectories(d2);
        Files.createSymbolicLink(d2.resolve("cfs"), d1.resolve("cfs"));
        try (HavenNode n1 = HavenNode.start(d1, "pxa"); HavenNode n2 = HavenNode.start(d2, "pxb")) {
            Auth a = n1.login("admin@pve", n1.adminPassword());
            Files.createFile(d2.resolve("gate"));
            // a task started through node 1 runs on node 2
            Resp started = n1.post("/nodes/pxb/haven-test/task", Map.of("gate", "gate"), a);
            assertThat(started.status()).as(started.body()).isEqualTo(200);
            String upid = started.data().asString();
            assertThat(upid).startsWith("UPID:pxb:");
            Resp st = n1.get("/nodes/pxb/tasks/" + upid + "/status", a);
            assertThat(st.status()).isEqualTo(200);
            assertThat(st.data().get("node").asString()).isEqualTo("pxb");
            // node 1 itself does not know the task
            assertThat(n1.get("/nodes/pxa/tasks/" + upid + "/status", a).status()).isEqualTo(400);
            // field errors come back from the remote node unchanged
            Resp bad = n1.get("/nodes/pxb/tasks?limit=-1", a);
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.json().get("errors").get("limit").asString()).isEqualTo("value must have a minimum value of 0");
            // the CLI (root on node 1's socket) reaches node 2 as well
            HavenNode.CliResult cli = n1.cli("pvesh", "get", "/nodes/pxb/time", "--output-format", "json");
            assertThat(cli.exit()).as(cli.err()).isZero();
            assertThat(HavenNode.JSON.readTree(cli.out()).has("timezone")).isTrue();
            // a node must present its own certificate: an address that answers with another node's certificate
            // (valid, issued by the same CA) is refused
            Files.createDirectories(d1.resolve("cfs/nodes/pxc"));
            Files.copy(d1.resolve("cfs/nodes/pxa/pve-ssl.pem"), d1.resolve("cfs/nodes/pxc/pve-ssl.pem"));
            Files.writeString(d1.resolve("cfs/nodes/pxc/haven-endpoint"), "127.0.0.1:" + n2.port() + "\n");
            Resp impostor = n1.get("/nodes/pxc/version", a);
            assertThat(impostor.status()).as(impostor.body()).isEqualTo(595);
            assertThat(impostor.json().get("message").asString()).contains("Errors during connection establishment").contains("is not one of node 'pxc'");
            assertThat(n1.get("/nodes/pxb/version", a).status()).isEqualTo(200);
            // unknown nodes
            assertThat(n1.get("/nodes/nosuchnode/status", a).json().get("message").asString()).contains("no such cluster node 'nosuchnode'");
        }
    }
}
