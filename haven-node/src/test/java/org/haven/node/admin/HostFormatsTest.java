package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.haven.core.schema.ParamException;
import org.junit.jupiter.api.Test;

/** The host files and listings as PVE reads and writes them: resolv.conf, /etc/hosts, the node config, /proc/net/dev. */
class HostFormatsTest {

    @Test
    void resolvConfReadsSearchAndThreeNameServers() {
        record Row(String text, Map<String, String> parsed) {}
        for (Row r : List.of(
                new Row("", Map.of()),
                new Row("search example.com\nnameserver 192.0.2.1\n", Map.of("search", "example.com", "dns1", "192.0.2.1")),
                new Row("domain lan\n# comment\nnameserver 192.0.2.1\nnameserver 2001:db8::1\nnameserver 192.0.2.3\nnameserver 192.0.2.4\n",
                        Map.of("search", "lan", "dns1", "192.0.2.1", "dns2", "2001:db8::1", "dns3", "192.0.2.3")),
                new Row("search a.example b.example\n  nameserver 192.0.2.9 # trailing\noptions edns0\n", Map.of("search", "a.example", "dns1", "192.0.2.9")),
                new Row("nameserver not-an-ip\n", Map.of())))
            assertThat(ResolvConf.parse(r.text())).as(r.text()).isEqualTo(r.parsed());
    }

    @Test
    void resolvConfWriteReplacesSearchAndServersAndKeepsTheRest() {
        record Row(String old, String search, String dns1, String dns2, String dns3, String text) {}
        for (Row r : List.of(
                new Row("", "example.com", "192.0.2.1", null, null, "search example.com\nnameserver 192.0.2.1\n"),
                new Row("# generated\ndomain old\nnameserver 192.0.2.7\n\noptions rotate\n", "new.example", "192.0.2.1", "192.0.2.1", "192.0.2.2",
                        "search new.example\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n# generated\n\noptions rotate\n"),
                new Row("search x\nnameserver 192.0.2.7\noptions ndots:2", "", null, "192.0.2.5", null, "nameserver 192.0.2.5\noptions ndots:2")))
            assertThat(ResolvConf.update(r.old(), r.search(), r.dns1(), r.dns2(), r.dns3())).as(r.toString()).isEqualTo(r.text());
    }

    @Test
    void hostsLinesMustBeAddressesAndNames() {
        EtcHosts.check("127.0.0.1 localhost\n# comment\n\n   \n::1 ip6-localhost ip6-loopback\n192.0.2.10 node1.example node1\n");
        record Row(String text, String error) {}
        for (Row r : List.of(
                new Row("localhost 127.0.0.1\n", "Invalid IP 'localhost'"),
                new Row(" 127.0.0.1 localhost\n", "Invalid IP ''"),
                new Row("127.0.0.1 local_host\n", "Invalid Hostname 'local_host'"),
                new Row("127.0.0.1 localhost # loopback\n", "Invalid Hostname '#'"),
                new Row("999.0.0.1 x\n", "Invalid IP '999.0.0.1'")))
            assertThatThrownBy(() -> EtcHosts.check(r.text())).as(r.text()).isInstanceOfSatisfying(ParamException.class,
                    e -> assertThat(e.errors()).containsExactly(Map.entry("data", r.error())));
        assertThat(EtcHosts.digest("127.0.0.1 localhost\n")).hasSize(40).isNotEqualTo(EtcHosts.digest("127.0.0.1 localhost"));
    }

    @Test
    void nodeConfigKeepsTheDescriptionAsCommentsAndSortsKeys() {
        String text = "#first line\n#\n#with%3A colon %C3%A4\nwakeonlan: mac=aa:bb:cc:dd:ee:ff\nstartall-onboot-delay: 10\nunknown-key: kept\n";
        Map<String, String> conf = NodeConfig.parse(text);
        assertThat(conf).containsEntry("description", "first line\n\nwith: colon ä\n")
                .containsEntry("wakeonlan", "mac=aa:bb:cc:dd:ee:ff").containsEntry("startall-onboot-delay", "10")
                .containsEntry("unknown-key", "kept").containsEntry("digest", NodeConfig.digest(text));
        assertThat(NodeConfig.write(conf))
                .isEqualTo("#first line\n#\n#with%3A colon %C3%A4\nstartall-onboot-delay: 10\nunknown-key: kept\nwakeonlan: mac=aa:bb:cc:dd:ee:ff\n");

        Map<String, String> next = NodeConfig.update(conf, Map.of("description", "notes", "ballooning-target", "70"), List.of("unknown-key", "wakeonlan"));
        assertThat(NodeConfig.write(next)).isEqualTo("#notes\nballooning-target: 70\nstartall-onboot-delay: 10\n");
        assertThat(NodeConfig.parse("")).containsOnlyKeys("digest");
        assertThatThrownBy(() -> NodeConfig.write(Map.of("wakeonlan", "a\nb"))).hasMessageContaining("invalid newline inside property 'wakeonlan'");
    }

    @Test
    void netstatListsGuestDevicesFromTheGuestsSide() {
        String dev = """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0    0     0       0          0
                tap100i0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
                veth101i1:     30       1    0    0    0     0          0         0       40       2    0    0    0     0       0          0
                tap0i0:         5       1    0    0    0     0          0         0        6       1    0    0    0     0       0          0
                vmbr0:        7       1    0    0    0     0          0         0        8       1    0    0    0     0       0          0
                tap100i0.5:     9       1    0    0    0     0          0         0       10       1    0    0    0     0       0          0
                """;
        assertThat(NetStat.parse(dev)).containsExactly(
                Map.of("vmid", "100", "dev", "net0", "in", "2000", "out", "1000"),
                Map.of("vmid", "101", "dev", "net1", "in", "40", "out", "30"));
    }

    @Test
    void servicesMapToHavensUnits() {
        record Row(String id, String action, List<String> cmd) {}
        for (Row r : List.of(
                new Row("cron", "start", List.of("systemctl", "start", "cron")),
                new Row("postfix", "stop", List.of("systemctl", "stop", "postfix@-")),
                new Row("sshd", "reload", List.of("systemctl", "try-reload-or-restart", "sshd")),
                new Row("pveproxy", "restart", List.of("systemctl", "restart", "havend.service")),
                new Row("pve-cluster", "reload", List.of("systemctl", "try-reload-or-restart", "havend.service"))))
            assertThat(Services.command(r.id(), r.action())).as(r.toString()).isEqualTo(r.cmd());
        assertThatThrownBy(() -> Services.command("pvedaemon", "stop")).hasMessage("invalid service cmd 'pvedaemon stop': pvedaemon is part of havend");
        assertThat(Services.LIST).hasSize(19).containsKeys("chrony", "corosync", "pve-ha-lrm", "systemd-timesyncd");
    }

    @Test
    void serviceStateFromSystemctlShow() {
        String running = "Type=notify\nSubState=running\nActiveState=active\nUnitFileState=enabled\nDescription=x = y\nLoadState=loaded\n";
        assertThat(Services.parseShow(running)).containsEntry("Description", "x = y").containsEntry("SubState", "running");
        record Row(String show, String state, String active, String unit) {}
        for (Row r : List.of(
                new Row(running, "running", "active", "enabled"),
                new Row("LoadState=not-found\nSubState=dead\nActiveState=inactive\nUnitFileState=\n", "not installed", "inactive", "not-found"),
                new Row("SubState=dead\nActiveState=inactive\nUnitFileState=disabled\n", "dead", "inactive", "disabled"),
                new Row(null, "unknown", "unknown", "unknown")))
            assertThat(Services.entry("cron", r.show() == null ? null : Services.parseShow(r.show()))).as(String.valueOf(r.show()))
                    .containsEntry("service", "cron").containsEntry("name", "cron").containsEntry("desc", Services.LIST.get("cron"))
                    .containsEntry("state", r.state()).containsEntry("active-state", r.active()).containsEntry("unit-state", r.unit());
    }
}
