package org.haven.it.lxc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.haven.it.lxc.LxcMigrationTest.ok;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.haven.core.testing.E2eTest;
import org.haven.it.Await;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.CliResult;
import org.haven.it.qemu.WsClient;
import org.haven.lxc.template.BusyboxTemplate;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * One node daemon with real busybox containers: {@code startall} starts the {@code onboot} containers by their
 * {@code startup} order with the {@code up} delay, the container console works through {@code termproxy} and the
 * websocket (a command typed there answers), {@code suspendall} skips containers, {@code stopall} shuts them down in
 * the reverse order, and after a restart the daemon starts the {@code onboot} containers by itself after the node's
 * {@code startall-onboot-delay}.
 */
@E2eTest
class LxcNodeGuestsTest {
    Path dir;
    HavenNode node;

    @AfterEach
    void cleanup() throws Exception {
        if (node != null) {
            node.cli("pvenode", "stopall", "--timeout", "5");
            node.close();
            for (String id : List.of("961", "962", "963"))
                new ProcessBuilder("lxc-stop", "-k", "-P", node.dataDir().resolve("lxc").toString(), "-n", id).redirectErrorStream(true).start().waitFor();
        }
        if (dir != null && System.getenv("KEEPDIR") == null) new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
    }

    String status(String id) throws Exception {
        CliResult r = node.cli("pct", "status", id);
        return r.exit() == 0 ? r.out().strip().replace("status: ", "") : "none";
    }

    @Test
    void startallConsoleStopallAndStartOnBoot() throws Exception {
        dir = Files.createTempDirectory("haven-ctnode");
        node = HavenNode.start(dir.resolve("node1"), "node1");
        Path local = node.dataDir().resolve("storage/local");
        Path template = BusyboxTemplate.build(new ProcessCommandRunner(), Files.createDirectories(local.resolve("template/cache")));
        String tmpl = "local:vztmpl/" + template.getFileName();
        ok(node.cli("pct", "create", "961", tmpl, "--rootfs", "local:0.03", "--memory", "64", "--onboot", "1", "--startup", "order=2", "--cmode", "shell"));
        ok(node.cli("pct", "create", "962", tmpl, "--rootfs", "local:0.03", "--memory", "64", "--onboot", "1", "--startup", "order=1,up=2,down=20"));
        ok(node.cli("pct", "create", "963", tmpl, "--rootfs", "local:0.03", "--memory", "64"));

        CliResult start = ok(node.cli("pvenode", "startall"));
        assertThat(start.out()).containsSubsequence("Starting CT 962", "Waiting for 2 seconds (startup delay)", "Starting CT 961")
                .doesNotContain("963");
        assertThat(List.of(status("961"), status("962"), status("963"))).containsExactly("running", "running", "stopped");
        // forced and limited to a list: only 963 is left to start
        assertThat(ok(node.cli("pvenode", "startall", "--force", "1", "--vms", "963,961")).out()).contains("Starting CT 963").doesNotContain("CT 961");
        assertThat(status("963")).isEqualTo("running");

        // the container's console: a command typed into the websocket answers
        Auth a = node.login("admin@pve", node.adminPassword());
        JsonNode term = node.post("/nodes/node1/lxc/961/termproxy", Map.of(), a).data();
        assertThat(term.path("upid").asString()).startsWith("UPID:node1:").contains(":termproxy:961:");
        String ticket = term.path("ticket").asString();
        URI uri = URI.create("wss://127.0.0.1:" + node.port() + "/api2/json/nodes/node1/lxc/961/vncwebsocket?port=" + term.path("port").asInt()
                + "&vncticket=" + URLEncoder.encode(ticket, StandardCharsets.UTF_8));
        String cookie = "PVEAuthCookie=" + URLEncoder.encode(a.ticket(), StandardCharsets.UTF_8);
        try (WsClient ws = WsClient.open(node.https(), uri, cookie, "binary")) {
            ws.sendText("admin@pve:" + ticket + "\n");
            ws.awaitText("OK", Duration.ofSeconds(10));
            ws.sendText("1:80:24:");
            // input typed before the shell's line editor starts can be swallowed: wait for its prompt, and type again
            // if the first line still went nowhere
            ws.awaitText("# ", Duration.ofSeconds(30));
            String cmd = "echo answer-$((6*7))\n";
            for (int attempt = 1; ; attempt++) {
                ws.sendText("0:" + cmd.length() + ":" + cmd);
                try {
                    assertThat(ws.awaitText("answer-42", Duration.ofSeconds(10))).contains("answer-42");
                    break;
                } catch (java.util.concurrent.TimeoutException e) {
                    if (attempt == 3) throw e;
                }
            }
        }
        assertThat(node.post("/nodes/node1/lxc/961/spiceproxy", Map.of(), a).status()).isEqualTo(501);

        assertThat(ok(node.cli("pvenode", "suspendall")).out()).contains("Skipping CT 961, only VMs can be suspended").contains("all VMs suspended");
        CliResult stop = ok(node.cli("pvenode", "stopall", "--vms", "961,962"));
        assertThat(stop.out()).containsSubsequence("Stopping CT 961 (timeout = 180 seconds)", "Stopping CT 962 (timeout = 20 seconds)", "all VMs and CTs stopped");
        assertThat(List.of(status("961"), status("962"), status("963"))).containsExactly("stopped", "stopped", "running");
        ok(node.cli("pct", "stop", "963"));

        // start on boot, after the node's delay
        ok(node.cli("pvesh", "set", "/nodes/node1/config", "--startall-onboot-delay", "1"));
        node = node.restart();
        Await.until("the onboot containers started by the daemon", Duration.ofSeconds(120), Duration.ofMillis(500),
                () -> status("961").equals("running") && status("962").equals("running"), () -> node.stdout());
        assertThat(status("963")).isEqualTo("stopped");
        CliResult tasks = ok(node.cli("pvesh", "get", "/nodes/node1/tasks", "--typefilter", "startall", "--output-format", "json"));
        String upid = HavenNode.JSON.readTree(tasks.out()).get(0).path("upid").asString();
        assertThat(upid).contains(":startall::root@pam:");
        assertThat(ok(node.cli("pvenode", "task", "log", upid)).out()).containsSubsequence("Delaying on-boot 'startall' command by 1 second(s).",
                "Starting CT 962", "Starting CT 961");
    }
}
