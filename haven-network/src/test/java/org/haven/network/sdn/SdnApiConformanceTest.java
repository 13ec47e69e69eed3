package org.haven.network.sdn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.haven.api.server.ApiConformance;
import org.haven.api.server.ApiTree;
import org.haven.api.server.SchemaExport;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The SDN API is PVE 8.4's {@code /cluster/sdn} and {@code /nodes/{node}/sdn} apart from the vnet firewall
 * (which belongs to the firewall): every method with its parameters, permissions and flags.
 */
class SdnApiConformanceTest extends SdnApiHarness {

    static boolean sdn(String path) { return path.contains("/sdn") && !path.contains("/firewall"); }

    @Test
    void allMethodsOfPve() throws Exception {
        start(List.of());
        ApiTree tree = new ApiTree();
        new SdnApi(List.of()).register(tree, node);
        Map<String, JsonNode> mine = ApiConformance.methods(SchemaExport.apidump(tree), SdnApiConformanceTest::sdn);
        Map<String, JsonNode> pve = ApiConformance.pve(SdnApiConformanceTest::sdn);
        assertThat(pve).hasSize(40);
        assertThat(mine.keySet()).isEqualTo(pve.keySet());
        assertThat(ApiConformance.differences(mine, pve)).isEmpty();
    }
}
