package org.haven.node.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.haven.access.AccessAdmin;
import org.haven.access.AccessControl;
import org.haven.api.AccessChecker;
import org.haven.api.HttpMethod;
import org.haven.api.TestApi;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Authenticator;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Slapd;
import org.haven.core.testing.Tools;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Scheduled realm syncs: the {@code /cluster/jobs/realm-sync} API over {@code jobs.cfg} and the scheduler's rounds at
 * chosen minutes, syncing an LDAP realm from a real slapd on loopback.
 */
@RealTest
class RealmSyncJobsTest {
    static final String BASE = "dc=haven,dc=test";
    static Slapd slapd;

    @BeforeAll
    static void startSlapd() throws Exception {
        Tools.require("slapd", "slapd", "slapadd");
        slapd = Slapd.start(BASE, "admin-secret", """
                dn: dc=haven,dc=test
                objectClass: dcObject
                objectClass: organization
                o: Haven Test
                dc: haven

                dn: ou=People,dc=haven,dc=test
                objectClass: organizationalUnit
                ou: People

                dn: ou=Groups,dc=haven,dc=test
                objectClass: organizationalUnit
                ou: Groups

                dn: uid=heinz,ou=People,dc=haven,dc=test
                objectClass: inetOrgPerson
                uid: heinz
                cn: Heinz Example
                sn: Example
                userPassword: heinz-pw

                dn: cn=watchman,ou=Groups,dc=haven,dc=test
                objectClass: groupOfNames
                cn: watchman
                member: uid=heinz,ou=People,dc=haven,dc=test
                """);
    }

    @AfterAll
    static void stopSlapd() throws Exception {
        if (slapd != null) slapd.close();
    }

    @TempDir Path tmp;
    LocalClusterFs cfs;
    long now;
    FileTaskManager tasks;
    RealmSyncJobs jobs;
    Dispatcher dispatcher;

    static long utc(String t) { return ZonedDateTime.parse(t).withZoneSameInstant(ZoneOffset.UTC).toEpochSecond(); }

    @BeforeEach
    void setUp() {
        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        now = utc("2026-03-02T09:30:00Z");
        Clock clock = () -> now;
        AccessAdmin admin = new AccessAdmin(new AccessControl(cfs, clock));
        admin.createRealm(new LinkedHashMap<>(Map.of("realm", "corp", "type", "ldap", "server1", "127.0.0.1", "port", slapd.port,
                "base_dn", "ou=People," + BASE, "user_attr", "uid", "group_dn", "ou=Groups," + BASE, "bind_dn", "cn=admin," + BASE, "password", "admin-secret")));
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                return authid.equals("root@pam") || authid.equals("audit@pve") && privs.contains("Sys.Audit");
            }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        TestNodeContext node = new TestNodeContext(cfs, tasks, access, tmp, clock);
        jobs = new RealmSyncJobs(node, realm -> new AccessControl(cfs, clock).domains().realm(realm).map(s -> s.type()).orElse(null),
                admin::syncRealm, ZoneOffset.UTC);
        ApiTree tree = new ApiTree();
        jobs.register(tree);
        dispatcher = new Dispatcher(tree, node, new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        });
    }

    ApiResponse call(String user, HttpMethod m, String path, Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], String.valueOf(kv[i + 1]));
        return dispatcher.handle(user == null ? new ApiRequest(m, path, params, null, null, null, true, "unix")
                : new ApiRequest(m, path, params, user, "csrf", null, false, "127.0.0.1"));
    }

    @Test
    void jobsAreKeptInJobsCfgBesideBackupJobs() {
        cfs.writeString("jobs.cfg", "vzdump: backup-1\n\tschedule sat 02:00\n\tall 1\n\tenabled 1\n\n");
        TestApi.data(call(null, HttpMethod.POST, "/cluster/jobs/realm-sync/nightly", "realm", "corp", "schedule", "10:00", "scope", "both",
                "remove-vanished", "acl;entry", "enable-new", 0, "comment", "from LDAP"));
        assertThat(cfs.readString("jobs.cfg").orElseThrow()).startsWith("vzdump: backup-1\n\tschedule sat 02:00\n")
                .contains("\nrealm-sync: nightly\n\trealm corp\n\tschedule 10:00\n\tscope both\n\tremove-vanished acl;entry\n\tenable-new 0\n\tcomment from LDAP\n");
        assertThat(TestApi.data(call(null, HttpMethod.GET, "/cluster/jobs")).findValuesAsString("subdir")).containsExactly("realm-sync", "schedule-analyze");

        JsonNode list = TestApi.data(call("audit@pve", HttpMethod.GET, "/cluster/jobs/realm-sync"));
        assertThat(list).hasSize(1);
        JsonNode j = list.get(0);
        assertThat(j.get("id").asString()).isEqualTo("nightly");
        assertThat(j.get("realm").asString()).isEqualTo("corp");
        assertThat(j.get("enabled").asInt()).isEqualTo(1);
        assertThat(j.get("enable-new").asInt()).isZero();
        assertThat(j.get("last-run").asLong()).isEqualTo(now);
        assertThat(j.get("next-run").asLong()).isEqualTo(utc("2026-03-02T10:00:00Z"));

        assertThat(call(null, HttpMethod.POST, "/cluster/jobs/realm-sync/nightly", "realm", "corp", "schedule", "daily").message())
                .contains("Job 'nightly' already exists");
        assertThat(call(null, HttpMethod.POST, "/cluster/jobs/realm-sync/other", "realm", "nothere", "schedule", "daily").message()).contains("invalid realm");
        assertThat(call(null, HttpMethod.POST, "/cluster/jobs/realm-sync/other", "realm", "pve", "schedule", "daily").message())
                .contains("realm type 'pve' not supported for syncing");
        assertThat(call(null, HttpMethod.POST, "/cluster/jobs/realm-sync/other", "realm", "corp", "schedule", "25:99").status()).isEqualTo(400);
        assertThat(call("audit@pve", HttpMethod.POST, "/cluster/jobs/realm-sync/other", "realm", "corp", "schedule", "daily").status()).isEqualTo(403);

        TestApi.data(call(null, HttpMethod.PUT, "/cluster/jobs/realm-sync/nightly", "delete", "comment", "schedule", "sat 03:00"));
        JsonNode one = TestApi.data(call(null, HttpMethod.GET, "/cluster/jobs/realm-sync/nightly"));
        assertThat(one.has("comment")).isFalse();
        assertThat(one.get("schedule").asString()).isEqualTo("sat 03:00");
        assertThat(call(null, HttpMethod.PUT, "/cluster/jobs/realm-sync/nightly", "schedule", "10:00", "delete", "realm").status()).isEqualTo(400);

        TestApi.data(call(null, HttpMethod.DELETE, "/cluster/jobs/realm-sync/nightly"));
        assertThat(call(null, HttpMethod.GET, "/cluster/jobs/realm-sync/nightly").status()).isEqualTo(404);
        assertThat(cfs.readString("jobs.cfg").orElseThrow()).startsWith("vzdump: backup-1\n\tschedule sat 02:00\n\tall 1\n\tenabled 1\n").doesNotContain("realm-sync");
        assertThat(cfs.readString(RealmSyncJobs.statePath("nightly"))).isEmpty();
        assertThat(call(null, HttpMethod.DELETE, "/cluster/jobs/realm-sync/nightly").status()).isEqualTo(404);
    }

    @Test
    void aJobSyncsTheRealmOnceAtEachScheduledMinute() throws Exception {
        TestApi.data(call(null, HttpMethod.POST, "/cluster/jobs/realm-sync/nightly", "realm", "corp", "schedule", "10:00", "scope", "both"));
        now = utc("2026-03-02T09:59:00Z");
        assertThat(jobs.tick()).isEmpty();
        now = utc("2026-03-02T10:00:20Z");
        List<String> started = jobs.tick();
        assertThat(started).hasSize(1);
        assertThat(started.getFirst()).contains(":auth-realm-sync:corp:root@pam:");
        assertThat(tasks.await(started.getFirst(), 30_000).status()).isEqualTo("OK");
        assertThat(tasks.log(started.getFirst(), 0, 0).lines()).contains("adding user 'heinz@corp'", "adding group 'watchman-corp'");
        assertThat(cfs.readString("user.cfg").orElseThrow()).contains("user:heinz@corp:1:", "group:watchman-corp:heinz@corp:");
        assertThat(jobs.tick()).as("the same minute again").isEmpty();
        now = utc("2026-03-02T10:01:00Z");
        assertThat(jobs.tick()).isEmpty();
        assertThat(TestApi.data(call(null, HttpMethod.GET, "/cluster/jobs/realm-sync/nightly")).get("next-run").asLong()).isEqualTo(utc("2026-03-03T10:00:00Z"));

        TestApi.data(call(null, HttpMethod.PUT, "/cluster/jobs/realm-sync/nightly", "schedule", "10:00", "enabled", 0));
        now = utc("2026-03-03T10:00:00Z");
        assertThat(jobs.tick()).as("disabled").isEmpty();
        TestApi.data(call(null, HttpMethod.PUT, "/cluster/jobs/realm-sync/nightly", "schedule", "10:00", "enabled", 1));
        now = utc("2026-03-04T09:59:00Z");
        assertThat(jobs.tick()).as("the missed event is not made up").isEmpty();
        now = utc("2026-03-04T10:00:00Z");
        List<String> again = jobs.tick();
        assertThat(again).hasSize(1);
        assertThat(tasks.await(again.getFirst(), 30_000).status()).isEqualTo("OK");
    }
}
