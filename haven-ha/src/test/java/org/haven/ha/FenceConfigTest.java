package org.haven.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FenceConfigTest {
    static final String CFG = """
        # power and management boards
        device ipmi1 fence_ipmilan ip=10.0.0.11 username=admin 'password=se cret' lanplus
        device psu fence_apc --ip=10.0.0.20 username=apc password=apc
        connect ipmi1 node=node1
        connect psu node=node1 plug=3
        connect psu node=node1 plug=4
        connect psu node=node2 plug=5
        """;

    @Test
    void parsesDevicesAndConnections() {
        FenceConfig cfg = FenceConfig.parse(CFG);
        assertThat(cfg.devices()).containsOnlyKeys("ipmi1", "psu");
        assertThat(cfg.devices().get("ipmi1").args()).containsEntry("password", "se cret").containsEntry("lanplus", null);
        assertThat(cfg.devices().get("psu").args()).containsEntry("ip", "10.0.0.20");
        assertThat(cfg.connects()).hasSize(4);
        assertThat(cfg.connects().get(1)).isEqualTo(new FenceConfig.Connect("psu", "node1", Map.of("plug", "3")));
    }

    @Test
    void commandsPerDeviceInFileOrder() {
        FenceConfig cfg = FenceConfig.parse(CFG);
        List<List<List<String>>> n1 = cfg.commandsFor("node1");
        assertThat(n1).hasSize(2);
        assertThat(n1.get(0)).containsExactly(List.of("fence_ipmilan", "--ip=10.0.0.11", "--username=admin",
            "--password=se cret", "--lanplus", "--action=off"));
        assertThat(n1.get(1)).containsExactly(
            List.of("fence_apc", "--ip=10.0.0.20", "--username=apc", "--password=apc", "--plug=3", "--action=off"),
            List.of("fence_apc", "--ip=10.0.0.20", "--username=apc", "--password=apc", "--plug=4", "--action=off"));
        assertThat(cfg.commandsFor("node2")).hasSize(1);
        assertThat(cfg.commandsFor("node3")).isEmpty();
    }

    @Test
    void rejectsBrokenFiles() {
        assertThatThrownBy(() -> FenceConfig.parse("connect x node=a\n")).hasMessageContaining("unknown device 'x'");
        assertThatThrownBy(() -> FenceConfig.parse("device a rm -rf\n")).hasMessageContaining("is not a fence agent");
        assertThatThrownBy(() -> FenceConfig.parse("device a fence_x\ndevice a fence_y\n")).hasMessageContaining("defined twice");
        assertThatThrownBy(() -> FenceConfig.parse("device a fence_x\nconnect a plug=1\n")).hasMessageContaining("without node=");
        assertThatThrownBy(() -> FenceConfig.parse("device a fence_x 'ip=1\n")).hasMessageContaining("unterminated quote");
        assertThatThrownBy(() -> FenceConfig.parse("fence a\n")).hasMessageContaining("unknown keyword");
    }
}
