package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.haven.api.HttpMethod;
import org.haven.api.TestApi;
import org.haven.api.server.ApiResponse;
import org.haven.api.task.TaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The APT methods behind the real dispatcher on a node whose APT root is a scratch directory: its own sources,
 * dpkg status and package lists, and a {@code file:} repository in the same directory, so the real
 * {@code apt-get update} and {@code apt-get -s dist-upgrade} run without the network and without the machine's APT.
 */
@RealTest
class AptApiTest {
    @TempDir Path tmp;
    Path root;
    TestApi api;

    static final String STATUS = """
            Package: havtest
            Status: install ok installed
            Priority: optional
            Section: misc
            Installed-Size: 1
            Maintainer: Haven <haven@example.org>
            Architecture: all
            Version: 1.0
            Description: a package of the tests
             It is installed in version 1.0.

            Package: lxc
            Status: install ok installed
            Priority: optional
            Section: admin
            Installed-Size: 1
            Maintainer: Haven <haven@example.org>
            Architecture: amd64
            Version: 1:5.0.2-1+deb12u2
            Description: Linux Containers userspace tools
             Containers are insulated areas inside a system.

            """;

    @BeforeEach
    void setUp() throws Exception {
        Tools.require("apt", "apt-get", "apt-cache", "dpkg-query");
        root = tmp.resolve("root");
        for (String d : List.of("etc/apt/sources.list.d", "etc/apt/apt.conf.d", "etc/apt/preferences.d", "var/lib/apt/lists/partial",
                "var/cache/apt/archives/partial", "var/lib/dpkg", "repo", "usr/share/doc/havtest"))
            Files.createDirectories(root.resolve(d));
        Files.writeString(root.resolve("etc/os-release"), "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n");
        Files.writeString(root.resolve("var/lib/dpkg/status"), STATUS);
        Files.writeString(root.resolve("repo/Packages"), """
                Package: havtest
                Version: 2.0
                Architecture: all
                Maintainer: Haven <haven@example.org>
                Priority: optional
                Section: misc
                Filename: havtest_2.0_all.deb
                Size: 100
                Description: a package of the tests, newer
                 It is offered in version 2.0.

                """);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(root.resolve("usr/share/doc/havtest/changelog.Debian.gz")))) {
            out.write("havtest (1.0) bookworm; urgency=medium\n\n  * First release.\n".getBytes(StandardCharsets.UTF_8));
        }
        Files.writeString(root.resolve("etc/apt/sources.list"), "# the test repository\ndeb [trusted=yes] file:" + root.resolve("repo") + " ./\n"
                + "# deb http://deb.debian.org/debian bookworm main\n");
        Files.writeString(root.resolve("etc/apt/sources.list.d/old.sources"), "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bullseye\nComponents: main\nEnabled: no\n");
        Files.writeString(root.resolve("etc/apt/sources.list.d/broken.list"), "deb http://only-a-uri\n");
        Files.writeString(root.resolve("etc/apt/sources.list.d/ignored.save"), "not read\n");
        LocalClusterFs cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        ProcessCommandRunner runner = new ProcessCommandRunner();
        api = new TestApi(cfs, tmp, (authid, path, privs, any) -> authid.equals("audit@pve") && privs.contains("Sys.Audit"),
                (reg, ctx) -> new AptApi(ctx, new Apt(root, runner), runner).register(reg));
    }

    JsonNode repositories() { return TestApi.data(api.as("audit@pve", HttpMethod.GET, "/nodes/n1/apt/repositories", "node", "n1")); }

    @Test
    void repositoriesListFilesErrorsInfosAndStandardRepos() {
        assertThat(TestApi.data(api.as("audit@pve", HttpMethod.GET, "/nodes/n1/apt", "node", "n1")).findValuesAsString("id"))
                .containsExactly("changelog", "repositories", "update", "versions");
        JsonNode r = repositories();
        assertThat(r.get("files").findValuesAsString("path")).containsExactly("/etc/apt/sources.list", "/etc/apt/sources.list.d/old.sources");
        JsonNode list = r.get("files").get(0);
        assertThat(list.get("file-type").asString()).isEqualTo("list");
        assertThat(list.get("digest")).hasSize(32);
        assertThat(list.get("repositories").get(0).get("Comment").asString()).isEqualTo("the test repository");
        assertThat(list.get("repositories").get(0).get("Options").get(0).get("Key").asString()).isEqualTo("trusted");
        assertThat(list.get("repositories").get(1).get("Enabled").asBoolean()).isFalse();
        assertThat(r.get("files").get(1).get("repositories").get(0).get("FileType").asString()).isEqualTo("sources");
        assertThat(r.get("errors")).hasSize(1);
        assertThat(r.get("errors").get(0).get("path").asString()).isEqualTo("/etc/apt/sources.list.d/broken.list");
        assertThat(r.get("errors").get(0).get("error").asString()).isEqualTo("malformed entry on line 1");
        assertThat(r.get("digest").asString()).hasSize(64);
        assertThat(r.get("infos").toString()).contains("old suite 'bullseye' configured!");
        assertThat(r.get("standard-repos").findValuesAsString("handle")).containsExactly("debian", "debian-updates", "debian-security");
        assertThat(r.get("standard-repos").get(0).get("status").asBoolean()).isFalse();
        assertThat(r.get("standard-repos").get(1).has("status")).isFalse();
        assertThat(api.as("nobody@pve", HttpMethod.GET, "/nodes/n1/apt/repositories", "node", "n1").status()).isEqualTo(403);
    }

    @Test
    void postChangesEnabledOfOneRepositoryAndPutAddsAStandardOne() throws Exception {
        String digest = repositories().get("digest").asString();
        ApiResponse stale = api.local(HttpMethod.POST, "/nodes/n1/apt/repositories", "node", "n1", "path", "/etc/apt/sources.list.d/old.sources",
                "index", 0, "enabled", 1, "digest", "0".repeat(64));
        assertThat(stale.status()).isEqualTo(500);
        TestApi.data(api.local(HttpMethod.POST, "/nodes/n1/apt/repositories", "node", "n1", "path", "/etc/apt/sources.list.d/old.sources",
                "index", 0, "enabled", 1, "digest", digest));
        assertThat(Files.readString(root.resolve("etc/apt/sources.list.d/old.sources"))).endsWith("Components: main\nEnabled: yes\n");
        assertThat(api.local(HttpMethod.POST, "/nodes/n1/apt/repositories", "node", "n1", "path", "/etc/apt/nothere.list", "index", 0, "enabled", 1)
                .message()).contains("unable to find file '/etc/apt/nothere.list'");

        // the disabled Debian line is enabled where it is; security goes to a file of its own
        TestApi.data(api.local(HttpMethod.PUT, "/nodes/n1/apt/repositories", "node", "n1", "handle", "debian"));
        assertThat(Files.readString(root.resolve("etc/apt/sources.list"))).endsWith("\ndeb http://deb.debian.org/debian bookworm main\n");
        TestApi.data(api.local(HttpMethod.PUT, "/nodes/n1/apt/repositories", "node", "n1", "handle", "debian-security"));
        assertThat(Files.readString(root.resolve("etc/apt/sources.list.d/debian-security.list")))
                .isEqualTo("deb http://security.debian.org/debian-security bookworm-security main contrib\n");
        assertThat(repositories().get("standard-repos").toString()).contains("\"handle\":\"debian-security\"", "\"status\":true");
        assertThat(api.local(HttpMethod.PUT, "/nodes/n1/apt/repositories", "node", "n1", "handle", "debian-security").message())
                .contains("already configured and enabled");
        assertThat(api.local(HttpMethod.PUT, "/nodes/n1/apt/repositories", "node", "n1", "handle", "enterprise").message())
                .contains("unknown repository handle 'enterprise'");
    }

    @Test
    void updateRunsAptGetUpdateAsATaskThenListsTheUpgrades() throws Exception {
        Files.delete(root.resolve("etc/apt/sources.list.d/broken.list"));
        String upid = TestApi.data(api.local(HttpMethod.POST, "/nodes/n1/apt/update", "node", "n1")).asString();
        assertThat(upid).contains(":aptupdate::root@pam:");
        TaskManager.TaskInfo info = api.node.tasks().await(upid, 60_000);
        String log = String.join("\n", api.node.tasks().log(upid, 0, 0).lines());
        assertThat(info.status()).as(log).isEqualTo("OK");
        assertThat(log).contains("starting apt-get update", "file:" + root.resolve("repo"));

        JsonNode ups = TestApi.data(api.local(HttpMethod.GET, "/nodes/n1/apt/update", "node", "n1"));
        assertThat(ups).hasSize(1);
        JsonNode u = ups.get(0);
        assertThat(u.get("Package").asString()).isEqualTo("havtest");
        assertThat(u.get("OldVersion").asString()).isEqualTo("1.0");
        assertThat(u.get("Version").asString()).isEqualTo("2.0");
        assertThat(u.get("Title").asString()).isEqualTo("a package of the tests, newer");
        assertThat(u.get("Description").asString()).isEqualTo("It is offered in version 2.0.");
        assertThat(u.get("Section").asString()).isEqualTo("misc");

        // notify: the version is recorded as notified (no notification target is configured here)
        String quiet = TestApi.data(api.local(HttpMethod.POST, "/nodes/n1/apt/update", "node", "n1", "quiet", 1, "notify", 1)).asString();
        assertThat(api.node.tasks().await(quiet, 60_000).status()).isEqualTo("OK");
        assertThat(api.node.tasks().log(quiet, 0, 0).lines()).noneMatch(l -> l.contains("starting apt-get update"));
        assertThat(TestApi.data(api.local(HttpMethod.GET, "/nodes/n1/apt/update", "node", "n1")).get(0).get("NotifyStatus").asString()).isEqualTo("2.0");
    }

    @Test
    void changelogAndVersionsComeFromTheDpkgDatabase() {
        assertThat(TestApi.data(api.local(HttpMethod.GET, "/nodes/n1/apt/changelog", "node", "n1", "name", "havtest")).asString())
                .startsWith("havtest (1.0) bookworm; urgency=medium");
        assertThat(api.local(HttpMethod.GET, "/nodes/n1/apt/changelog", "node", "n1", "name", "Bad Name").message()).contains("invalid package name");

        JsonNode v = TestApi.data(api.as("audit@pve", HttpMethod.GET, "/nodes/n1/apt/versions", "node", "n1"));
        assertThat(v.get(0).get("Package").asString()).isEqualTo("haven");
        assertThat(v.get(0).get("RunningKernel").asString()).isNotEmpty();
        JsonNode lxc = null, qemu = null;
        for (JsonNode e : v) {
            if (e.get("Package").asString().equals("lxc")) lxc = e;
            if (e.get("Package").asString().equals("qemu-system-x86")) qemu = e;
        }
        assertThat(lxc.get("Version").asString()).isEqualTo("1:5.0.2-1+deb12u2");
        assertThat(lxc.get("CurrentState").asString()).isEqualTo("Installed");
        assertThat(lxc.get("Title").asString()).isEqualTo("Linux Containers userspace tools");
        assertThat(qemu.get("CurrentState").asString()).isEqualTo("NotInstalled");
    }
}
