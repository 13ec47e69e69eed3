package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** URL metadata from response headers, the wake-on-LAN packet and the report's layout. */
class NodeToolsFormatsTest {

    @Test
    void urlMetadataFromHeaders() {
        record Row(String url, String length, String disposition, String type, Map<String, Object> out) {}
        for (Row r : List.of(
                new Row("http://h/a/b.iso", "10", null, "application/octet-stream", Map.of("filename", "b.iso", "size", 10L, "mimetype", "application/octet-stream")),
                new Row("http://h/a/b.iso?x=/y", null, null, "text/html; charset=utf-8", Map.of("filename", "b.iso", "mimetype", "text/html")),
                new Row("http://h/dl", "0", "attachment; filename=\"x y.img\"", null, Map.of("filename", "x y.img")),
                new Row("http://h/dl", "5", "attachment; filename=plain.img; size=5", null, Map.of("filename", "plain.img", "size", 5L)),
                new Row("http://h/", null, null, null, Map.of())))
            assertThat(UrlMetadata.of(r.url(), 200, null, r.length(), r.disposition(), r.type())).as(r.toString()).isEqualTo(r.out());
        assertThatThrownBy(() -> UrlMetadata.of("http://h/x", 404, "Not Found", null, null, null)).hasMessage("invalid server response: '404 Not Found'");
    }

    @Test
    void magicPacketIsSixFfThenSixteenMacs() {
        byte[] p = WakeOnLan.packet("01-23-45-67-89-AB");
        assertThat(p).hasSize(102);
        for (int i = 0; i < 6; i++) assertThat(p[i]).isEqualTo((byte) 0xff);
        for (int i = 0; i < 16; i++) assertThat(java.util.Arrays.copyOfRange(p, 6 + 6 * i, 12 + 6 * i)).containsExactly(0x01, 0x23, 0x45, 0x67, 0x89, 0xab);
        assertThatThrownBy(() -> WakeOnLan.packet("01:23:45")).hasMessage("invalid MAC address '01:23:45'");
        assertThat(WakeOnLan.settings("aa:bb:cc:dd:ee:ff,broadcast-address=192.0.2.255"))
                .containsExactly(Map.entry("mac", "aa:bb:cc:dd:ee:ff"), Map.entry("broadcast-address", "192.0.2.255"));
    }

    @Test
    void reportShowsSectionsThenEachItemWithItsOutput() {
        var plan = List.of(new NodeReport.Section("one", List.of(NodeReport.Item.cmd("hostname"), NodeReport.Item.cfs("storage.cfg"))),
                new NodeReport.Section("two", List.of(NodeReport.Item.host("/etc/hosts"))));
        String text = NodeReport.render(plan, i -> switch (i.kind()) {
            case COMMAND -> "n1";
            case CFS_FILE -> "";
            default -> "127.0.0.1 localhost\n";
        });
        assertThat(text).isEqualTo("\n==== one ====\n\n# hostname\nn1\n\n# cat /etc/pve/storage.cfg\n\n\n==== two ====\n\n# cat /etc/hosts\n127.0.0.1 localhost\n\n");
        var full = NodeReport.plan("n1", List.of("nodes/n1/lxc/101.conf"), List.of("/etc/apt/sources.list"));
        assertThat(full).extracting(NodeReport.Section::title).containsExactly("general system info", "overall guest overview", "storage",
                "virtual guests", "network", "firewall", "cluster", "hardware", "block devices", "volumes");
        assertThat(full.get(3).items()).extracting(NodeReport.Item::heading).containsExactly("cat /etc/pve/nodes/n1/lxc/101.conf");
    }
}
