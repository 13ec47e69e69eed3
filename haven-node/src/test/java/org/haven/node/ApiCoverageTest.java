package org.haven.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.haven.api.server.Json;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ApiCoverageTest {
    /** A tree of the apidump shape with one method per (method, path, params) entry, nested as PVE nests them. */
    static JsonNode tree(String json) {
        return Json.MAPPER.readTree(json);
    }

    static final JsonNode PVE = tree("""
        [{"path":"/nodes","text":"nodes","leaf":0,"info":{"GET":{"parameters":{"properties":{}}}},
          "children":[{"path":"/nodes/{node}","text":"{node}","leaf":0,"children":[
            {"path":"/nodes/{node}/lxc","text":"lxc","leaf":1,"info":{
               "GET":{"parameters":{"properties":{"node":{}}}},
               "POST":{"parameters":{"properties":{"node":{},"vmid":{},"ostemplate":{}}}}}},
            {"path":"/nodes/{node}/qemu","text":"qemu","leaf":1,"info":{
               "GET":{"parameters":{"properties":{"node":{},"full":{}}}}}}]}]},
         {"path":"/version","text":"version","leaf":1,"info":{"GET":{"parameters":{"properties":{}}}}}]
        """);

    static final JsonNode OURS = tree("""
        [{"path":"/nodes","text":"nodes","leaf":0,"info":{"GET":{"parameters":{"properties":{}}}},
          "children":[{"path":"/nodes/{node}","text":"{node}","leaf":0,"children":[
            {"path":"/nodes/{node}/qemu","text":"qemu","leaf":1,"info":{
               "GET":{"parameters":{"properties":{"node":{}}}}}},
            {"path":"/nodes/{node}/extra","text":"extra","leaf":1,"info":{"GET":{"parameters":{"properties":{}}}}}]}]}]
        """);

    @Test
    void areasOfPaths() {
        assertThat(ApiCoverage.area("/nodes/{node}/lxc/{vmid}/status/start")).isEqualTo("/nodes/{node}/lxc");
        assertThat(ApiCoverage.area("/cluster/ha/resources/{sid}")).isEqualTo("/cluster/ha");
        assertThat(ApiCoverage.area("/nodes")).isEqualTo("/nodes");
        assertThat(ApiCoverage.area("/version")).isEqualTo("/version");
    }

    @Test
    void countsPresentMissingAndLackingParameters() {
        List<ApiCoverage.Area> areas = ApiCoverage.compare(PVE, OURS);
        assertThat(areas).extracting(ApiCoverage.Area::name).containsExactly("/nodes", "/nodes/{node}/lxc", "/nodes/{node}/qemu", "/version");
        ApiCoverage.Area lxc = areas.get(1);
        assertThat(lxc.total()).isEqualTo(2);
        assertThat(lxc.present()).isZero();
        assertThat(lxc.missing()).containsExactly("GET /nodes/{node}/lxc", "POST /nodes/{node}/lxc");
        ApiCoverage.Area qemu = areas.get(2);
        assertThat(qemu.present()).isEqualTo(1);
        assertThat(qemu.missingParams()).containsExactly(java.util.Map.entry("GET /nodes/{node}/qemu", Set.of("full")));
        // methods Haven has beyond PVE's schema are not counted
        assertThat(areas).noneMatch(a -> a.name().equals("/nodes/{node}/extra"));

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int present = ApiCoverage.print(areas, true, true, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertThat(present).isEqualTo(2);
        assertThat(text).contains("total").contains("(40.0%)")
                .contains("  POST /nodes/{node}/lxc")
                .contains("  GET /nodes/{node}/qemu: full");
    }
}
