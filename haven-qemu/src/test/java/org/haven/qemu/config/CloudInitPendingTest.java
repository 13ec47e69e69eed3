package org.haven.qemu.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@code GET …/cloudinit} reports: the options of the current image against the config, and the generated files. */
class CloudInitPendingTest {
    static final Map<String, String> CONF = Map.of("ciuser", "ann", "cipassword", "$5$hash", "ipconfig0", "ip=dhcp",
            "nameserver", "10.0.0.53", "cores", "2", "name", "web");

    @Test
    void withoutARecordEveryOptionIsInTheImage() {
        assertThat(CloudInit.pending(CONF, null)).containsExactly(
                Map.of("key", "cipassword", "value", "**********"),
                Map.of("key", "ciuser", "value", "ann"),
                Map.of("key", "ipconfig0", "value", "ip=dhcp"),
                Map.of("key", "nameserver", "value", "10.0.0.53"));
    }

    @Test
    void changedAddedAndRemovedOptions() {
        Map<String, String> made = Map.of("ciuser", "bob", "cipassword", "$5$old", "ipconfig0", "ip=dhcp", "searchdomain", "example.com");
        List<Map<String, Object>> p = CloudInit.pending(CONF, made);
        assertThat(p).containsExactly(
                Map.of("key", "cipassword", "value", "**********"),          // masked on both sides: no visible change
                Map.of("key", "ciuser", "value", "bob", "pending", "ann"),
                Map.of("key", "ipconfig0", "value", "ip=dhcp"),
                Map.of("key", "nameserver", "pending", "10.0.0.53"),
                Map.of("key", "searchdomain", "value", "example.com", "delete", 1));
    }

    @Test
    void onlyCloudInitOptionsAreRecorded() {
        assertThat(CloudInit.options(CONF)).containsOnlyKeys("ciuser", "cipassword", "ipconfig0", "nameserver");
    }

    @Test
    void dumpGivesEachGeneratedFile() {
        assertThat(CloudInit.dump(100, CONF, "user")).startsWith("#cloud-config\n").contains("hostname: web\n").contains("user: ann\n");
        assertThat(CloudInit.dump(100, CONF, "network")).startsWith("version: 1\n");
        assertThat(CloudInit.dump(100, CONF, "meta")).startsWith("instance-id: ");
        assertThatThrownBy(() -> CloudInit.dump(100, CONF, "vendor")).hasMessageContaining("vendor");
    }
}
