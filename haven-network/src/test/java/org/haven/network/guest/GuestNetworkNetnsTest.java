package org.haven.network.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.network.apply.Cmd;
import org.haven.network.apply.Links;
import org.haven.network.apply.TestNetns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest network for real, in three namespaces the test makes: "host" runs it, "guest" is a DHCP client on
 * a port of the bridge, and "uplink" stands in for the world behind the host's uplink (a veth pair). The guest
 * reaches the uplink only through the masquerade, since the uplink has no route back to the guest subnet.
 */
@RealTest
class GuestNetworkNetnsTest {
    @TempDir Path tmp;

    @Test
    void guestGetsAnAddressAndReachesTheUplinkThroughNat() throws Exception {
        Tools.requireRoot("network namespaces");
        Tools.require("dnsmasq-base", "dnsmasq");
        Tools.require("busybox", "busybox");
        Tools.require("nftables", "nft");
        try (TestNetns host = new TestNetns("hvgn-host"); TestNetns guest = new TestNetns("hvgn-guest"); TestNetns uplink = new TestNetns("hvgn-up")) {
            host.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "up0", "netns", uplink.name);
            host.run("ip", "addr", "add", "198.51.100.2/24", "dev", "eth0");
            host.run("ip", "link", "set", "eth0", "up");
            host.run("ip", "route", "add", "default", "via", "198.51.100.1");
            uplink.run("ip", "addr", "add", "198.51.100.1/24", "dev", "up0");
            uplink.run("ip", "link", "set", "up0", "up");

            GuestNetwork gn = new GuestNetwork(GuestNetwork.Config.defaults("vmbr0"), host.prefix(), tmp);
            long dnsmasq;
            try {
                assertThat(gn.up()).isTrue();
                assertThat(new GuestNetwork(GuestNetwork.Config.defaults("vmbr0"), host.prefix(), tmp.resolve("other")).up())
                        .as("a bridge this network did not make is left alone").isFalse();
                assertThat(host.run("sysctl", "-n", "net.ipv4.ip_forward").strip()).isEqualTo("1");
                dnsmasq = gn.dnsmasqPid().orElseThrow();
                assertThat(ProcessHandle.of(dnsmasq).map(ProcessHandle::isAlive)).contains(true);
                // a node that stopped without taking it down takes it over, restarting dnsmasq when it is gone
                ProcessHandle.of(dnsmasq).orElseThrow().destroy();
                ProcessHandle.of(dnsmasq).ifPresent(h -> h.onExit().join());
                assertThat(new GuestNetwork(GuestNetwork.Config.defaults("vmbr0"), host.prefix(), tmp).up()).isTrue();
                dnsmasq = gn.dnsmasqPid().orElseThrow();
                assertThat(ProcessHandle.of(dnsmasq).map(ProcessHandle::isAlive)).contains(true);

                // a guest NIC: a veth pair with one end on the bridge and the other in the guest namespace
                host.run("ip", "link", "add", "tap100i0", "type", "veth", "peer", "name", "eth0", "netns", guest.name);
                host.run("ip", "link", "set", "tap100i0", "master", "vmbr0", "up");
                guest.run("ip", "link", "set", "eth0", "up");
                Path script = tmp.resolve("udhcpc.sh");
                Files.writeString(script, """
                        #!/bin/sh
                        if [ "$1" = bound ]; then
                          ip addr add "$ip/$mask" dev "$interface"
                          ip route add default via "$router"
                        fi
                        exit 0
                        """);
                script.toFile().setExecutable(true);
                String out = guest.run("busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "10", "-T", "1", "-s", script.toString());
                assertThat(out).containsPattern("lease of 10\\.253\\.0\\.1\\d\\d obtained");
                String addr = guest.run("ip", "-4", "-o", "addr", "show", "dev", "eth0");
                assertThat(addr).containsPattern("inet 10\\.253\\.0\\.1\\d\\d/24");
                assertThat(gn.leases()).hasSize(1);

                guest.run("busybox", "ping", "-c", "1", "-W", "5", "10.253.0.1");
                guest.run("busybox", "ping", "-c", "1", "-W", "5", "198.51.100.1");
            } finally {
                gn.down();
            }
            assertThat(Links.read(host.prefix())).doesNotContainKey("vmbr0");
            assertThat(host.run("nft", "list", "tables")).doesNotContain("haven-guestnet");
            assertThat(host.run("sysctl", "-n", "net.ipv4.ip_forward").strip()).isEqualTo("0");
            assertThat(gn.dnsmasqPid()).isEmpty();
            assertThat(ProcessHandle.of(dnsmasq).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(guest.succeeds("busybox", "ping", "-c", "1", "-W", "2", "198.51.100.1")).isFalse();
        }
    }
}
