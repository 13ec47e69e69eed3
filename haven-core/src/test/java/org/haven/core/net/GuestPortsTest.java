package org.haven.core.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GuestPortsTest {
    @Test
    void namesAsPveAndPerNodeOnSharedHosts() {
        assertThat(GuestPorts.tap(100, 0, null)).isEqualTo("tap100i0");
        assertThat(GuestPorts.veth(101, 2)).isEqualTo("veth101i2");
        assertThat(GuestPorts.tapNode(false, "pve1")).isNull();
        assertThat(GuestPorts.tapNode(true, "pve1")).isEqualTo("pve1");
        String a = GuestPorts.tap(100, 0, "node1");
        String b = GuestPorts.tap(100, 0, "node2");
        assertThat(a).startsWith("tap100i0n").hasSizeLessThanOrEqualTo(15).isNotEqualTo(b);
        assertThat(GuestPorts.tap(100, 0, "node1")).isEqualTo(a);
        // no room left for a suffix: PVE's name
        assertThat(GuestPorts.tap(123456789, 10, "node1")).isEqualTo("tap123456789i10");
        for (int vmid : new int[] {100, 99999, 1234567}) for (int i = 0; i < 32; i++) assertThat(GuestPorts.tap(vmid, i, "some-long-node-name")).hasSizeLessThanOrEqualTo(15);
    }
}
