package org.haven.cfs.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.TestApi;
import org.haven.api.server.ApiResponse;
import org.haven.cfs.LocalClusterFs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code /cluster/options} behind the real dispatcher on a local cluster file system. */
class ClusterOptionsApiTest {
    @TempDir Path tmp;
    LocalClusterFs cfs;
    TestApi api;

    @BeforeEach
    void start() {
        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        api = new TestApi(cfs, tmp, (authid, path, privs, any) -> authid.equals("audit@pve") && path.equals("/") && privs.stream().allMatch(p -> p.equals("Sys.Audit")),
                new ClusterOptionsApi());
    }

    ApiResponse call(String user, HttpMethod m, Object... kv) { return api.as(user, m, "/cluster/options", kv); }

    JsonNode data(ApiResponse r) { return TestApi.data(r); }

    @Test
    void setReadAndDelete() {
        assertThat(data(call("root@pam", HttpMethod.GET)).isEmpty()).isTrue();
        data(call("root@pam", HttpMethod.PUT, "keyboard", "de", "migration", "type=insecure,network=10.1.0.0/24",
                "max_workers", "3", "description", "Rack: 3", "ha", "shutdown_policy=migrate"));
        assertThat(cfs.readString("datacenter.cfg")).contains("""
                #Rack%3A 3

                ha: shutdown_policy=migrate
                keyboard: de
                max_workers: 3
                migration: type=insecure,network=10.1.0.0/24
                """);
        data(call("root@pam", HttpMethod.PUT, "registered-tags", "Prod;web-1"));
        assertThat(data(call("root@pam", HttpMethod.GET)).path("registered-tags").toString()).isEqualTo("[\"Prod\",\"web-1\"]");
        JsonNode got = data(call("audit@pve", HttpMethod.GET));
        assertThat(got.path("migration").path("type").asString()).isEqualTo("insecure");
        assertThat(got.path("migration").path("network").asString()).isEqualTo("10.1.0.0/24");
        assertThat(got.path("max_workers").asInt()).isEqualTo(3);
        assertThat(got.path("description").asString()).isEqualTo("Rack: 3\n");

        data(call("root@pam", HttpMethod.PUT, "delete", "keyboard,description", "language", "de"));
        assertThat(cfs.readString("datacenter.cfg")).contains("ha: shutdown_policy=migrate\nlanguage: de\nmax_workers: 3\nmigration: type=insecure,network=10.1.0.0/24\nregistered-tags: Prod;web-1\n");
    }

    @Test
    void badInputLeavesTheFileAsItWas() {
        cfs.writeString("datacenter.cfg", "keyboard: de\n");
        ApiResponse r = call("root@pam", HttpMethod.PUT, "keyboard", "xx");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errors().get("keyboard")).contains("xx");
        assertThat(call("root@pam", HttpMethod.PUT, "ha", "shutdown_policy=never").status()).isEqualTo(400);
        assertThat(call("root@pam", HttpMethod.PUT, "max_workers", "0").status()).isEqualTo(400);
        ApiResponse range = call("root@pam", HttpMethod.PUT, "next-id", "lower=500,upper=400");
        assertThat(range.status()).isEqualTo(400);
        assertThat(range.errors().get("next-id")).isEqualTo("lower (500) <= upper (400) boundary rule broken");
        assertThat(call("root@pam", HttpMethod.PUT, "keyboard", "fr", "delete", "keyboard").status()).isEqualTo(400);
        assertThat(call("root@pam", HttpMethod.PUT, "registered-tags", "has space").status()).isEqualTo(400);
        assertThat(cfs.readString("datacenter.cfg")).contains("keyboard: de\n");
    }

    @Test
    void permissions() {
        assertThat(call("audit@pve", HttpMethod.PUT, "keyboard", "de").status()).isEqualTo(403);
        assertThat(call("nobody@pve", HttpMethod.GET).status()).isEqualTo(403);
        assertThat(cfs.readString("datacenter.cfg")).isEmpty();
    }
}
