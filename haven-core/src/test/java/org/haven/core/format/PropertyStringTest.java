package org.haven.core.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.haven.core.Upid;
import org.junit.jupiter.api.Test;

class PropertyStringTest {
    @Test
    void diskStringRoundTrip() {
        String disk = "local:100/vm-100-disk-0.qcow2,cache=writeback,discard=on,size=32G";
        var m = PropertyString.parse(disk, "file");
        assertThat(m).containsEntry("file", "local:100/vm-100-disk-0.qcow2").containsEntry("size", "32G");
        assertThat(PropertyString.print(m, "file")).isEqualTo(disk);
    }

    @Test
    void keysAreSortedAndQuotedWhenNeeded() {
        var m = PropertyString.parse("virtio=AA:BB:CC:DD:EE:FF,bridge=vmbr0,firewall=1", "model");
        assertThat(PropertyString.print(m, "model")).isEqualTo("bridge=vmbr0,firewall=1,virtio=AA:BB:CC:DD:EE:FF");
        var q = PropertyString.parse("a=\"x,y\",b=1", null);
        assertThat(q).containsEntry("a", "x,y");
        assertThat(PropertyString.print(q, null)).isEqualTo("a=\"x,y\",b=1");
    }

    @Test
    void errors() {
        assertThatThrownBy(() -> PropertyString.parse("x", null)).hasMessageContaining("default key");
        assertThatThrownBy(() -> PropertyString.parse("a=1,a=2", null)).hasMessageContaining("duplicate key");
        // a key no writer could write back (PVE: not in the schema) is refused
        for (String bad : new String[]{"=1", "a\"=1", "a b=1", "a=1, b=2"})
            assertThatThrownBy(() -> PropertyString.parse(bad, null)).as(bad).hasMessageContaining("invalid key");
    }

    @Test
    void upid() {
        String s = "UPID:pve1:00001234:0000ABCD:5F000000:qmstart:100:root@pam:";
        Upid u = Upid.parse(s);
        assertThat(u.node()).isEqualTo("pve1");
        assertThat(u.pid()).isEqualTo(0x1234);
        assertThat(u.type()).isEqualTo("qmstart");
        assertThat(u.toString()).isEqualTo(s);
        assertThatThrownBy(() -> Upid.parse("UPID:bad")).isInstanceOf(IllegalArgumentException.class);
    }
}
