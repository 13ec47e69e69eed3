package org.haven.cfs.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.haven.cfs.CorosyncConf;
import org.junit.jupiter.api.Test;

class ClusterConfigApiTest {
    @Test
    void linkAddressTable() {
        String[][] cases = {{"10.0.0.1", "10.0.0.1"}, {"address=10.0.0.2,priority=5", "10.0.0.2"},
                {"priority=5,address=fe80::1", "fe80::1"}, {"10.0.0.3,priority=1", "10.0.0.3"}};
        for (String[] c : cases) assertThat(ClusterConfigApi.linkAddress(c[0])).as(c[0]).isEqualTo(c[1]);
        assertThat(ClusterConfigApi.linkAddress(null)).isNull();
    }

    @Test
    void totemAsPveShowsIt() {
        CorosyncConf c = CorosyncConf.create("demo", new CorosyncConf.Node("a", 1, 1, "10.0.0.1", 5405));
        Map<String, Object> totem = ClusterConfigApi.blockToMap(c.root().block("totem").orElseThrow());
        assertThat(totem).containsEntry("cluster_name", "demo").containsEntry("config_version", "1")
                .containsEntry("interface", Map.of("0", Map.of("linknumber", "0")));
    }

    @Test
    void fingerprintOfGarbageIsEmpty() {
        assertThat(ClusterConfigApi.fingerprint("not a cert")).isEmpty();
        assertThat(ClusterConfigApi.sha1("")).isEqualTo("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }
}
