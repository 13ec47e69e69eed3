package org.haven.it.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.core.schema.Schema;
import org.haven.it.HavenNode;
import org.haven.it.security.ParamGen.Case;
import org.haven.it.security.ParamGen.Expect;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The pure parts of the sweeps, by tables: PVE check arrays evaluated for a caller, the schema oracle, seeded cases. */
class SweepLogicTest {
    static JsonNode json(String s) { return HavenNode.JSON.readTree(s); }

    @Test
    void checkArraysAreEvaluatedAsPveDoes() {
        Set<String> auditor = Set.of("Sys.Audit", "VM.Audit", "Datastore.Audit", "Pool.Audit");
        record Row(String check, Set<String> privs, boolean allowed) {}
        for (Row r : List.of(
                new Row("[\"perm\",\"/\",[\"Sys.Audit\"]]", auditor, true),
                new Row("[\"perm\",\"/\",[\"Sys.Audit\"]]", Set.of(), false),
                new Row("[\"perm\",\"/vms/{vmid}\",[\"VM.Audit\",\"VM.Monitor\"]]", auditor, false),
                new Row("[\"perm\",\"/vms/{vmid}\",[\"VM.Monitor\",\"VM.Audit\"],\"any\",1]", auditor, true),
                new Row("[\"perm\",\"/\",[\"__root__\"]]", Set.of("__root__", "Sys.Modify"), false),
                new Row("[\"and\",[\"perm\",\"/\",[\"Sys.Audit\"]],[\"perm\",\"/\",[\"Sys.Modify\"]]]", auditor, false),
                new Row("[\"or\",[\"perm\",\"/\",[\"Sys.Modify\"]],[\"perm\",\"/\",[\"Sys.Audit\"]]]", auditor, true),
                new Row("[\"userid-param\",\"self\"]", auditor, false),
                new Row("[\"userid-param\",\"Realm.AllocateUser\"]", Set.of("Realm.AllocateUser"), true),
                new Row("[\"userid-group\",[\"User.Modify\",\"Sys.Audit\"]]", auditor, true),
                new Row("[\"userid-group\",[\"User.Modify\"],\"groups_param\",\"update\"]", auditor, false),
                new Row("[\"perm-modify\",\"{path}\"]", auditor, false)))
            assertThat(ApiSecuritySweepTest.allows(json(r.check()), r.privs())).as(r.check() + " " + r.privs()).isEqualTo(r.allowed());
    }

    @Test
    void theDeclaredSchemaDecidesWhatMustBeRefused() {
        record Row(Schema schema, String value, Expect expect) {}
        for (Row r : List.of(
                new Row(Schema.integer(), "abc", Expect.FIELD_400),
                new Row(Schema.integer().minimum(0), "-1", Expect.FIELD_400),
                new Row(Schema.integer(), "-1", Expect.ANY),
                new Row(Schema.bool(), "maybe", Expect.FIELD_400),
                new Row(Schema.string().enumValues("a", "b"), "c", Expect.FIELD_400),
                new Row(Schema.string().format("pve-vmid"), "a".repeat(10_240), Expect.FIELD_400),
                new Row(Schema.string().format("pve-storage-id"), "sw\0eep", Expect.FIELD_400),
                new Row(Schema.string(), "sweep\nx", Expect.ANY),
                new Row(Schema.string(), "sw\0eep", Expect.ANY),
                new Row(Schema.string().maxLength(64), "a".repeat(65), Expect.FIELD_400)))
            assertThat(ParamGen.expectation("p", r.schema(), r.value())).as(r.schema() + " " + r.value().length()).isEqualTo(r.expect());
    }

    @Test
    void javaInternalsAndServletPagesAreRecognised() {
        assertThat(SweepNode.internals("{\"message\":\"URLDecoder: java.lang.IllegalArgumentException: bad\"}")).isEqualTo("java.lang.");
        assertThat(SweepNode.internals("<html><title>Error 500 StreamReadException</title>")).isEqualTo("StreamReadException");
        assertThat(SweepNode.internals("\tat org.haven.api.server.Dispatcher.call(Dispatcher.java:12)")).isNotNull();
        assertThat(SweepNode.internals("<html><title>Error 414 URI Too Long</title>")).isEqualTo("<html");
        assertThat(SweepNode.internals("{\"data\":null,\"message\":\"Configuration file 'nodes/n1/qemu-server/9999.conf' does not exist\\n\"}")).isNull();
        assertThat(SweepNode.internals("{\"data\":null,\"message\":\"Nul character not allowed\"}")).isNotNull();
    }

    @Test
    void casesAreAFixedNumberAndReproducibleBySeed() {
        Schema params = Schema.object().additionalProperties(false)
                .property("node", Schema.string().format("pve-node"))
                .property("vmid", Schema.integer().minimum(100))
                .property("name", Schema.string().optional())
                .property("force", Schema.bool().optional());
        ApiCatalog.Method m = new ApiCatalog.Method("/nodes/{node}/qemu/{vmid}/thing", "POST", json("{}"), params);
        ParamGen gen = new ParamGen(Map.of("node", "n1", "vmid", "100"));
        assertThat(gen.baseline(m)).containsExactly(Map.entry("node", "n1"), Map.entry("vmid", "100"));
        List<Case> a = gen.cases(m, 7, 10), b = gen.cases(m, 7, 10), c = gen.cases(m, 8, 10);
        assertThat(a).hasSize(10).isEqualTo(b).isNotEqualTo(c);
        assertThat(a.get(0).label()).isEqualTo("unknown parameter");
        assertThat(a.get(0).expect()).isEqualTo(Expect.FIELD_400);
        assertThat(gen.candidates(m)).anyMatch(k -> k.param().equals("vmid") && k.label().equals("path ../") && k.expect() == Expect.NOT_2XX)
                .anyMatch(k -> k.param().equals("force") && k.expect() == Expect.FIELD_400)
                .anyMatch(k -> k.rawBodySuffix() != null && k.expect() == Expect.BAD_REQUEST);
    }
}
