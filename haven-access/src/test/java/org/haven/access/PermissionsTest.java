package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class PermissionsTest {

    static final String BASE = """
            user:joe@pve:1:0:::::
            user:ann@pve:1:0:::::
            user:developer1@pve:1:0:::::
            token:joe@pve!sep:0:1::
            token:joe@pve!full:0:0::
            group:G:joe@pve:::
            group:developers:developer1@pve:::
            """;

    static Permissions perms(String acl) { return new Permissions(UserConfig.parse(BASE + acl)); }

    static Set<String> privs(Permissions p, String who, String path) { return p.privileges(who, path).keySet(); }

    static Set<String> role(String r) { return Privileges.BUILTIN_ROLES.get(r); }

    /** One row: ACL lines, who, path, expected privileges (as a role name or explicit set). */
    record Row(String acl, String who, String path, Set<String> expected) {}

    static Row row(String acl, String who, String path, Set<String> expected) { return new Row(acl, who, path, expected); }

    @Test
    void table() {
        List<Row> rows = List.of(
                // group ACL on / propagates everywhere
                row("acl:1:/:@G:PVEAuditor:\n", "joe@pve", "/vms/100", role("PVEAuditor")),
                row("acl:1:/:@G:PVEAuditor:\n", "joe@pve", "/nodes/n1", role("PVEAuditor")),
                row("acl:1:/:@G:PVEAuditor:\n", "ann@pve", "/vms/100", Set.of()),
                // deeper user ACL replaces inherited group set
                row("acl:1:/:@G:PVEAuditor:\nacl:1:/vms:joe@pve:PVEVMUser:\n", "joe@pve", "/vms/100", role("PVEVMUser")),
                row("acl:1:/:@G:PVEAuditor:\nacl:1:/vms:joe@pve:PVEVMUser:\n", "joe@pve", "/nodes/n1", role("PVEAuditor")),
                // user beats group at the same level
                row("acl:1:/vms:@G:PVEVMAdmin:\nacl:1:/vms:joe@pve:PVEVMUser:\n", "joe@pve", "/vms/100", role("PVEVMUser")),
                // deeper group ACL replaces shallower user ACL
                row("acl:1:/:joe@pve:PVEAdmin:\nacl:1:/vms:@G:PVEAuditor:\n", "joe@pve", "/vms/1", role("PVEAuditor")),
                // non-propagating only on the exact path
                row("acl:0:/vms:joe@pve:PVEVMUser:\n", "joe@pve", "/vms", role("PVEVMUser")),
                row("acl:0:/vms:joe@pve:PVEVMUser:\n", "joe@pve", "/vms/100", Set.of()),
                // a non-propagating entry below does not block inheritance from above, except on its own path
                row("acl:1:/:joe@pve:PVEAuditor:\nacl:0:/vms:joe@pve:PVEVMUser:\n", "joe@pve", "/vms/100", role("PVEAuditor")),
                row("acl:1:/:joe@pve:PVEAuditor:\nacl:0:/vms:joe@pve:PVEVMUser:\n", "joe@pve", "/vms", role("PVEVMUser")),
                // NoAccess wins at its level and below
                row("acl:1:/:@G:PVEAuditor:\nacl:1:/vms/100:@G:NoAccess:\n", "joe@pve", "/vms/100", Set.of()),
                row("acl:1:/:@G:PVEAuditor:\nacl:1:/vms/100:@G:NoAccess:\n", "joe@pve", "/vms/101", role("PVEAuditor")),
                row("acl:1:/vms:joe@pve:NoAccess,PVEVMAdmin:\n", "joe@pve", "/vms/7", Set.of()),
                // several groups merge their roles at the same level
                row("group:H:joe@pve::\nacl:1:/:@G:PVEAuditor:\nacl:1:/:@H:PVEDatastoreUser:\n", "joe@pve", "/storage/local",
                        union(role("PVEAuditor"), role("PVEDatastoreUser"))),
                // multiple roles union
                row("acl:1:/:joe@pve:PVEVMUser,PVEDatastoreUser:\n", "joe@pve", "/", union(role("PVEVMUser"), role("PVEDatastoreUser"))),
                // custom roles
                row("role:PVE_Power-only:VM.PowerMgmt,VM.Console:\nacl:1:/vms:joe@pve:PVE_Power-only:\n", "joe@pve", "/vms/5",
                        Set.of("VM.PowerMgmt", "VM.Console")),
                // root is superuser
                row("acl:1:/:root@pam:NoAccess:\n", "root@pam", "/vms/100", Privileges.ALL),
                // pools: members inherit pool roles
                row("pool:dev-pool::100::\nacl:1:/pool/dev-pool:@developers:PVEAdmin:\n", "developer1@pve", "/vms/100", role("PVEAdmin")),
                row("pool:dev-pool::100::\nacl:1:/pool/dev-pool:@developers:PVEAdmin:\n", "developer1@pve", "/vms/101", Set.of()),
                row("pool:dev-pool::100:local:\nacl:1:/pool/dev-pool:@developers:PVEDatastoreUser:\n", "developer1@pve", "/storage/local", role("PVEDatastoreUser")),
                // non-propagating pool ACL still grants on members (PVE applies the roles on /pool/<id> itself)
                row("pool:dev-pool::100::\nacl:0:/pool/dev-pool:@developers:PVEVMUser:\n", "developer1@pve", "/vms/100", role("PVEVMUser")),
                // pool roles add to regular roles
                row("pool:p::100::\nacl:1:/pool/p:joe@pve:PVEVMUser:\nacl:1:/vms:joe@pve:PVEAuditor:\n", "joe@pve", "/vms/100",
                        union(role("PVEVMUser"), role("PVEAuditor"))),
                // regular NoAccess is not trumped by pool roles
                row("pool:p::100::\nacl:1:/pool/p:joe@pve:PVEAdmin:\nacl:1:/vms/100:joe@pve:NoAccess:\n", "joe@pve", "/vms/100", Set.of()),
                // pool NoAccess trumps regular roles
                row("pool:p::100::\nacl:1:/pool/p:joe@pve:NoAccess:\nacl:1:/vms:joe@pve:PVEAdmin:\n", "joe@pve", "/vms/100", Set.of()),
                // privsep token: only its own ACLs, intersected with the user's
                row("acl:1:/:joe@pve:PVEVMUser:\n", "joe@pve!sep", "/vms/1", Set.of()),
                row("acl:1:/:joe@pve:PVEVMUser:\nacl:1:/:joe@pve!sep:PVEAuditor:\n", "joe@pve!sep", "/vms/1", Set.of("VM.Audit")),
                row("acl:1:/:joe@pve:PVEAuditor:\nacl:1:/:joe@pve!sep:PVEAdmin:\n", "joe@pve!sep", "/nodes/x", role("PVEAuditor")),
                // token does not get the user's group ACLs
                row("acl:1:/:@G:PVEAdmin:\nacl:1:/vms:joe@pve!sep:PVEVMUser:\n", "joe@pve!sep", "/vms/9", role("PVEVMUser")),
                // non-privsep token = user
                row("acl:1:/:@G:PVEVMUser:\n", "joe@pve!full", "/vms/1", role("PVEVMUser")),
                // unknown token / unknown user
                row("acl:1:/:@G:PVEVMUser:\n", "joe@pve!nosuch", "/vms/1", Set.of()),
                row("acl:1:/:@G:PVEVMUser:\n", "ghost@pve", "/vms/1", Set.of()),
                // ACL path matching is by path component
                row("acl:1:/vms-old:joe@pve:PVEVMAdmin:\n", "joe@pve", "/vms/1", Set.of()),
                row("acl:1:/storage:joe@pve:PVEDatastoreAdmin:\n", "joe@pve", "/storage/local", role("PVEDatastoreAdmin")));
        int i = 0;
        for (Row r : rows) {
            Permissions p = perms(r.acl);
            assertThat(privs(p, r.who, r.path)).as("row %d: %s on %s with\n%s", i++, r.who, r.path, r.acl)
                    .containsExactlyInAnyOrderElementsOf(r.expected);
        }
    }

    @Test
    void propagateFlagIsReported() {
        Permissions p = perms("acl:0:/vms:joe@pve:PVEVMUser:\nacl:1:/vms:joe@pve:PVEAuditor:\n");
        Map<String, Boolean> m = p.privileges("joe@pve", "/vms");
        assertThat(m).containsEntry("VM.Audit", true).containsEntry("VM.PowerMgmt", false);
    }

    @Test
    void checkAllOrAny() {
        Permissions p = perms("acl:1:/:joe@pve:PVEAuditor:\n");
        assertThat(p.check("joe@pve", "/vms/1", List.of("VM.Audit"), false)).isTrue();
        assertThat(p.check("joe@pve", "/vms/1", List.of("VM.Audit", "VM.PowerMgmt"), false)).isFalse();
        assertThat(p.check("joe@pve", "/vms/1", List.of("VM.Audit", "VM.PowerMgmt"), true)).isTrue();
        assertThat(p.check("joe@pve", "/vms/1", List.of("VM.Allocate", "VM.PowerMgmt"), true)).isFalse();
        assertThatThrownBy(() -> p.check("joe@pve", "/", List.of("VM.Bogus"), false)).hasMessage("invalid privilege 'VM.Bogus'");
    }

    @Test
    void effectiveMapListsTopLevelAclAndPoolPaths() {
        Permissions p = perms("pool:p::100:local:\nacl:1:/pool/p:joe@pve:PVEAuditor:\nacl:1:/nodes/n1:joe@pve:PVESysAdmin:\n");
        Map<String, Map<String, Boolean>> eff = p.effective("joe@pve");
        assertThat(eff).containsOnlyKeys("/pool/p", "/nodes/n1", "/vms/100", "/storage/local");
        assertThat(eff.get("/vms/100")).containsOnlyKeys(role("PVEAuditor").toArray(String[]::new));
        assertThat(p.effective("root@pam")).containsKeys("/", "/access", "/vms", "/storage", "/nodes/n1");
        assertThat(p.effective("ann@pve")).isEmpty();
    }

    @Test
    void builtinRolesMatchPve84() {
        assertThat(role("PVEAuditor")).containsExactlyInAnyOrder("Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit");
        assertThat(role("PVEVMUser")).containsExactlyInAnyOrder("VM.Audit", "VM.Backup", "VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console", "VM.PowerMgmt");
        assertThat(role("PVEDatastoreUser")).containsExactlyInAnyOrder("Datastore.AllocateSpace", "Datastore.Audit");
        assertThat(role("PVEDatastoreAdmin")).containsExactlyInAnyOrder("Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit");
        assertThat(role("PVEPoolAdmin")).containsExactlyInAnyOrder("Pool.Allocate", "Pool.Audit");
        assertThat(role("PVEPoolUser")).containsExactlyInAnyOrder("Pool.Audit");
        assertThat(role("PVESysAdmin")).containsExactlyInAnyOrder("Sys.Audit", "Sys.Console", "Sys.Syslog");
        assertThat(role("PVEUserAdmin")).containsExactlyInAnyOrder("Group.Allocate", "Realm.AllocateUser", "User.Modify");
        assertThat(role("PVETemplateUser")).containsExactlyInAnyOrder("VM.Audit", "VM.Clone");
        assertThat(role("PVESDNUser")).containsExactlyInAnyOrder("SDN.Audit", "SDN.Use");
        assertThat(role("PVEMappingUser")).containsExactlyInAnyOrder("Mapping.Audit", "Mapping.Use");
        assertThat(role("NoAccess")).isEmpty();
        assertThat(role("Administrator")).isEqualTo(Privileges.ALL).hasSize(42);
        assertThat(role("PVEAdmin")).doesNotContain("Sys.PowerMgmt", "Sys.Modify", "Realm.Allocate", "Permissions.Modify",
                "Sys.Incoming", "Sys.AccessNetwork").contains("VM.Allocate", "User.Modify", "Sys.Console", "SDN.Allocate");
        assertThat(Privileges.BUILTIN_ROLES.keySet()).containsExactly("Administrator", "NoAccess", "PVEAdmin", "PVEAuditor",
                "PVEDatastoreAdmin", "PVEDatastoreUser", "PVEMappingAdmin", "PVEMappingUser", "PVEPoolAdmin", "PVEPoolUser",
                "PVESDNAdmin", "PVESDNUser", "PVESysAdmin", "PVETemplateUser", "PVEUserAdmin", "PVEVMAdmin", "PVEVMUser");
    }

    /**
     * Property: the result equals a direct transcription of the documented rules, for random configurations; and
     * a privilege-separated token never has more than its user.
     */
    @Test
    void randomConfigsAgreeWithReferenceModel() {
        Random r = new Random(99);
        String[] paths = {"/", "/vms", "/vms/100", "/vms/101", "/storage", "/storage/local", "/nodes", "/nodes/n1", "/pool/p", "/access"};
        String[] roles = {"PVEAuditor", "PVEVMUser", "PVEAdmin", "NoAccess", "PVEDatastoreUser", "PVESysAdmin"};
        String[] members = {"joe@pve", "@G", "@H", "joe@pve!sep", "ann@pve"};
        for (int n = 0; n < 400; n++) {
            StringBuilder acl = new StringBuilder("group:H:joe@pve,ann@pve::\npool:p::100:local:\n");
            int lines = r.nextInt(7);
            for (int i = 0; i < lines; i++)
                acl.append("acl:").append(r.nextInt(2)).append(':').append(paths[r.nextInt(paths.length)]).append(':')
                        .append(members[r.nextInt(members.length)]).append(':').append(roles[r.nextInt(roles.length)]).append(":\n");
            UserConfig cfg = UserConfig.parse(BASE + acl);
            Permissions p = new Permissions(cfg);
            for (String path : paths) {
                for (String who : List.of("joe@pve", "ann@pve")) {
                    assertThat(privs(p, who, path)).as("%s %s\n%s", who, path, acl).isEqualTo(reference(cfg, who, path));
                }
                assertThat(privs(p, "joe@pve", path)).containsAll(privs(p, "joe@pve!sep", path));
            }
        }
    }

    /** Straightforward transcription of the rules, written independently of the evaluator. */
    static Set<String> reference(UserConfig cfg, String user, String path) {
        TreeSet<String> rolesNow = new TreeSet<>();
        List<String> levels = new ArrayList<>(List.of("/"));
        String cur = "";
        for (String c : path.substring(1).split("/")) if (!c.isEmpty()) levels.add(cur += "/" + c);
        for (int i = 0; i < levels.size(); i++) {
            boolean exact = i == levels.size() - 1;
            UserConfig.AclNode node = cfg.acl.get(levels.get(i));
            if (node == null) continue;
            TreeSet<String> mine = new TreeSet<>();
            node.users.getOrDefault(user, new java.util.TreeMap<>()).forEach((role, prop) -> { if (prop || exact) mine.add(role); });
            if (!mine.isEmpty()) { rolesNow = mine; continue; }
            TreeSet<String> fromGroups = new TreeSet<>();
            node.groups.forEach((g, m) -> {
                if (cfg.groups.containsKey(g) && cfg.groups.get(g).users.contains(user))
                    m.forEach((role, prop) -> { if (prop || exact) fromGroups.add(role); });
            });
            if (!fromGroups.isEmpty()) rolesNow = fromGroups;
        }
        if (rolesNow.contains("NoAccess")) return Set.of();
        // pool membership (pool p holds vm 100 and storage local)
        if (path.equals("/vms/100") || path.equals("/storage/local")) {
            Set<String> poolRoles = new TreeSet<>(new Permissions(cfg).roles(user, "/pool/p").keySet());
            if (poolRoles.contains("NoAccess")) return Set.of();
            rolesNow.addAll(poolRoles);
        }
        TreeSet<String> out = new TreeSet<>();
        for (String role : rolesNow) out.addAll(cfg.roles.get(role));
        return out;
    }

    static Set<String> union(Set<String> a, Set<String> b) {
        TreeSet<String> s = new TreeSet<>(a);
        s.addAll(b);
        return s;
    }

    /** One evaluator is shared by concurrent requests: answers stay the same as single-threaded ones. */
    @Test
    void concurrentUseGivesTheSameAnswers() throws Exception {
        Permissions p = perms("group:H:joe@pve::\npool:p::100:local:\nacl:1:/pool/p:@G:PVEVMUser:\nacl:1:/:joe@pve:PVEAuditor:\nacl:1:/vms:@H:PVEAdmin:\n");
        Permissions reference = perms("group:H:joe@pve::\npool:p::100:local:\nacl:1:/pool/p:@G:PVEVMUser:\nacl:1:/:joe@pve:PVEAuditor:\nacl:1:/vms:@H:PVEAdmin:\n");
        String[] paths = new String[200];
        for (int i = 0; i < paths.length; i++) paths[i] = i % 3 == 0 ? "/vms/" + (100 + i) : i % 3 == 1 ? "/storage/s" + i : "/nodes/n" + i;
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Boolean>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                fs.add(ex.submit(() -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 2000; i++) {
                        String path = paths[r.nextInt(paths.length)];
                        String who = r.nextBoolean() ? "joe@pve" : "joe@pve!sep";
                        if (!p.privileges(who, path).equals(reference.privileges(who, path))) return false;
                    }
                    return true;
                }));
            }
            for (var f : fs) assertThat(f.get()).isTrue();
        } finally {
            ex.shutdownNow();
        }
    }
}
