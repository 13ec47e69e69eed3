package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChecksTest {
    static final String CFG = """
            user:joe@pve:1:0:::::
            user:cust1@pve:1:0:::::
            user:boss@pve:1:0:::::
            user:aud@pve:1:0:::::
            user:vmadmin@pve:1:0:::::
            user:store@pve:1:0:::::
            token:joe@pve!t:0:1::
            group:customers:cust1@pve::
            group:admin:boss@pve::
            pool:dev::100::
            acl:1:/access/realm/pve:joe@pve:PVEUserAdmin:
            acl:1:/access/groups/customers:joe@pve:PVEUserAdmin:
            acl:1:/:aud@pve:PVEAuditor:
            acl:1:/vms:vmadmin@pve:PVEVMAdmin:
            acl:1:/storage/local:store@pve:PVEDatastoreAdmin:
            acl:1:/pool/dev:vmadmin@pve:PVEPoolAdmin:
            """;

    final Checks checks = new Checks(new Permissions(UserConfig.parse(CFG)));

    static final List<Object> CREATE_USER = List.of("and", List.of("userid-param", "Realm.AllocateUser"),
            List.of("userid-group", List.of("User.Modify"), "groups_param", "create"));
    static final List<Object> UPDATE_USER = List.of("userid-group", List.of("User.Modify"), "groups_param", "update");
    static final List<Object> DELETE_USER = List.of("and", List.of("userid-param", "Realm.AllocateUser"), List.of("userid-group", List.of("User.Modify")));
    static final List<Object> READ_USER = List.of("userid-group", List.of("User.Modify", "Sys.Audit"));
    static final List<Object> OWN_TOKENS = List.of("or", List.of("userid-param", "self"), List.of("userid-group", List.of("User.Modify")));

    record Row(List<Object> check, String who, Map<String, Object> params, boolean expected) {}

    @Test
    void table() {
        List<Row> rows = List.of(
                // delegation example of the admin guide
                new Row(CREATE_USER, "joe@pve", Map.of("userid", "x@pve", "groups", "customers"), true),
                new Row(CREATE_USER, "joe@pve", Map.of("userid", "x@pam", "groups", "customers"), false),
                new Row(CREATE_USER, "joe@pve", Map.of("userid", "x@pve", "groups", "admin"), false),
                new Row(CREATE_USER, "joe@pve", Map.of("userid", "x@pve", "groups", "customers,admin"), false),
                new Row(CREATE_USER, "joe@pve", Map.of("userid", "x@pve"), false),
                new Row(UPDATE_USER, "joe@pve", Map.of("userid", "cust1@pve", "groups", "customers"), true),
                new Row(UPDATE_USER, "joe@pve", Map.of("userid", "boss@pve", "groups", "customers"), false),
                new Row(DELETE_USER, "joe@pve", Map.of("userid", "cust1@pve"), true),
                new Row(DELETE_USER, "joe@pve", Map.of("userid", "boss@pve"), false),
                new Row(DELETE_USER, "joe@pve", Map.of("userid", "ghost@pve"), false),
                new Row(READ_USER, "aud@pve", Map.of("userid", "boss@pve"), true),
                new Row(READ_USER, "joe@pve", Map.of("userid", "boss@pve"), false),
                new Row(READ_USER, "root@pam", Map.of("userid", "whatever@pve"), true),
                // userid-param self
                new Row(OWN_TOKENS, "boss@pve", Map.of("userid", "boss@pve"), true),
                new Row(OWN_TOKENS, "boss@pve", Map.of("userid", "cust1@pve"), false),
                new Row(OWN_TOKENS, "joe@pve", Map.of("userid", "cust1@pve"), true),
                new Row(OWN_TOKENS, "joe@pve!t", Map.of("userid", "joe@pve"), false),
                // perm with placeholders, any, require-param
                new Row(List.of("perm", "/vms/{vmid}", List.of("VM.Audit")), "aud@pve", Map.of("vmid", 100), true),
                new Row(List.of("perm", "/vms/{vmid}", List.of("VM.Audit", "VM.PowerMgmt")), "aud@pve", Map.of("vmid", 100), false),
                new Row(List.of("perm", "/vms/{vmid}", List.of("VM.Audit", "VM.PowerMgmt"), "any", 1), "aud@pve", Map.of("vmid", 100), true),
                new Row(List.of("perm", "/storage/{storage}", List.of("Datastore.Audit"), "require-param", "storage"), "aud@pve", Map.of(), false),
                new Row(List.of("perm", "/storage/{storage}", List.of("Datastore.Audit"), "require-param", "storage"), "aud@pve", Map.of("storage", "local"), true),
                new Row(List.of("perm", "/", List.of("__root__")), "aud@pve", Map.of(), false),
                new Row(List.of("perm", "/", List.of("__root__")), "root@pam", Map.of(), true),
                // and / or
                new Row(List.of("and", List.of("perm", "/", List.of("Sys.Audit")), List.of("perm", "/", List.of("Sys.Modify"))), "aud@pve", Map.of(), false),
                new Row(List.of("or", List.of("perm", "/", List.of("Sys.Modify")), List.of("perm", "/", List.of("Sys.Audit"))), "aud@pve", Map.of(), true),
                // perm-modify substitutes
                new Row(List.of("perm-modify", "{path}"), "vmadmin@pve", Map.of("path", "/vms/100"), true),
                new Row(List.of("perm-modify", "{path}"), "vmadmin@pve", Map.of("path", "/storage/local"), false),
                new Row(List.of("perm-modify", "{path}"), "store@pve", Map.of("path", "/storage/local"), true),
                new Row(List.of("perm-modify", "{path}"), "vmadmin@pve", Map.of("path", "/pool/dev/"), true),
                new Row(List.of("perm-modify", "{path}"), "vmadmin@pve", Map.of("path", "/"), false),
                new Row(List.of("perm-modify", "{path}"), "aud@pve", Map.of("path", "/vms/100"), false));
        int i = 0;
        for (Row r : rows)
            assertThat(checks.evaluate(r.check, r.who, r.params)).as("row %d: %s %s %s", i++, r.who, r.check, r.params).isEqualTo(r.expected);
    }

    @Test
    void deniedCarriesPveDetail() {
        assertThatThrownBy(() -> checks.require(CREATE_USER, "joe@pve", Map.of("userid", "x@pve", "groups", "admin")))
                .isInstanceOf(Checks.Denied.class).hasMessage("Permission check failed (/access/groups/admin, User.Modify)");
        assertThatThrownBy(() -> checks.require(List.of("perm", "/nodes/{node}", List.of("Sys.Modify")), "aud@pve", Map.of("node", "n1")))
                .hasMessage("Permission check failed (/nodes/n1, Sys.Modify)");
        assertThatThrownBy(() -> checks.require(List.of("bogus"), "aud@pve", Map.of())).hasMessage("unknown permission test");
    }
}
