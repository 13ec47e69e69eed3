package org.haven.it.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code havend --cfs-port}: the daemon holds the replicated cluster file system; a tree written by an earlier
 * start with the local cfs is carried over, and everything survives a restart.
 */
@E2eTest
class ReplicatedCfsDaemonTest {
    @TempDir Path dir;

    @Test
    void daemonRunsOnTheReplicatedCfsAndCarriesTheLocalTreeOver() throws Exception {
        Path data = dir.resolve("node");
        String password;
        try (HavenNode local = HavenNode.start(data, "rcfs")) {
            password = local.adminPassword();
            assertThat(local.login("admin@pve", password)).isNotNull();
        }
        int cfsPort = HavenNode.freePort();
        String upid;
        try (HavenNode n = HavenNode.start(data, "rcfs", List.of(), List.of("--cfs-port", Integer.toString(cfsPort)))) {
            assertThat(Files.exists(data.resolve("cfs-raft/node.properties"))).isTrue();
            Auth a = n.login("admin@pve", password);
            assertThat(n.get("/cluster/status", a).status()).isEqualTo(200);
            Files.createFile(data.resolve("gate"));
            upid = n.post("/nodes/rcfs/haven-test/task", Map.of("gate", "gate"), a).data().asString();
            assertThat(upid).startsWith("UPID:rcfs:");
            HavenNode.CliResult cert = n.cli("pvenode", "cert", "info");
            assertThat(cert.exit()).as(cert.err()).isZero();
        }
        try (HavenNode again = HavenNode.start(data, "rcfs", List.of(), List.of("--cfs-port", Integer.toString(cfsPort)))) {
            Auth a = again.login("admin@pve", password);
            assertThat(again.get("/nodes/rcfs/tasks/" + upid + "/status", a).data().get("exitstatus").asString()).isEqualTo("OK");
        }
    }
}
