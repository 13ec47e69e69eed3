package org.haven.it.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.haven.core.cfs.ClusterFs;
import org.haven.firewall.apply.FirewallService;
import org.haven.firewall.apply.GuestNics;
import org.haven.firewall.apply.NftApplier;

/**
 * What the real-guest tests check, the same for a container and a VM: the guest has {@code guestIp} and
 * {@code mac} on {@code vmbr0} of namespace {@code machine} ({@code hostIp}, listening on TCP 80 and 81), listens on
 * TCP 22 and 80 itself, and {@link #fw} is its firewall file: TCP 22 and ICMP in, {@code policy_out: DROP} with TCP 80
 * and ICMP out, {@code ipfilter}.
 */
final class GuestChecks {
    private GuestChecks() {}

    /**
     * The node's firewall as an embedded node with a guest network runs it (no host zone unless {@code host.fw} asks),
     * loading into {@code machine} every 2 s and on every change of {@code cfs}; started by the caller.
     */
    static FirewallService firewall(ClusterFs cfs, String machine) {
        return new FirewallService(cfs, "n1", GuestNics.fromCfs(cfs), List::of,
                NftApplier.local(List.of("ip", "netns", "exec", machine)), Duration.ofSeconds(2), false);
    }

    /** Runs a shell command inside the guest and returns its exit code. */
    interface Shell {
        int sh(String cmd) throws Exception;
    }

    /** Writes the guest's firewall file. */
    interface FwFile {
        void write(String text) throws Exception;
    }

    /** The guest's firewall file; {@code ipset} is an {@code [IPSET …]} section or empty. */
    static String fw(String ipset) {
        return """
                [OPTIONS]
                enable: 1
                ipfilter: 1
                policy_out: DROP

                """ + ipset + """
                [RULES]
                IN ACCEPT -p tcp -dport 22
                IN ACCEPT -p icmp
                OUT ACCEPT -p tcp -dport 80
                OUT ACCEPT -p icmp
                """;
    }

    /**
     * With the firewall loading {@link #fw}: what reaches the guest and what leaves it, a spoofed source address
     * and MAC, and a change of the file while the guest runs (ipfilter off, TCP 80 in).
     */
    static void run(NetLab lab, String machine, String hostIp, String guestIp, String mac, Shell guest, FwFile file) throws Exception {
        // IN: TCP 22 and ICMP only
        assertThat(NetLab.await(15, "DROP", () -> lab.tcp(machine, guestIp, 80))).isEqualTo("DROP");
        assertThat(lab.tcp(machine, guestIp, 22)).isEqualTo("ACCEPT");
        assertThat(lab.ping(machine, guestIp)).isEqualTo("ACCEPT");
        // OUT: the guest's policy DROP with TCP 80 and ICMP allowed (the machine listens on 80 and 81)
        assertThat(guest.sh("nc -w 2 " + hostIp + " 80 </dev/null")).isZero();
        assertThat(guest.sh("nc -w 2 " + hostIp + " 81 </dev/null")).isNotZero();
        assertThat(guest.sh("ping -c 1 -W 2 " + hostIp)).isZero();

        // ipfilter: a source address the guest was not given is dropped
        String spoofed = guestIp.replaceFirst("\\.\\d+$", ".50");
        assertThat(guest.sh("ip addr add " + spoofed + "/24 dev eth0")).isZero();
        assertThat(guest.sh("ping -c 1 -W 2 -I " + spoofed + " " + hostIp)).isNotZero();
        // macfilter: so is a MAC other than its configured one
        assertThat(guest.sh("ip link set eth0 address 02:00:00:00:99:99")).isZero();
        lab.in(machine, "ip", "neigh", "flush", "dev", "vmbr0");
        assertThat(guest.sh("ping -c 1 -W 2 " + hostIp)).isNotZero();
        assertThat(guest.sh("ip link set eth0 address " + mac)).isZero();
        lab.in(machine, "ip", "neigh", "flush", "dev", "vmbr0");
        assertThat(guest.sh("ping -c 1 -W 2 " + hostIp)).isZero();

        // a change of the file while the guest runs: ipfilter off and TCP 80 in
        file.write(fw("").replace("ipfilter: 1", "ipfilter: 0") + "IN ACCEPT -p tcp -dport 80\n");
        assertThat(NetLab.await(15, "ACCEPT", () -> lab.tcp(machine, guestIp, 80))).isEqualTo("ACCEPT");
        assertThat(guest.sh("ping -c 1 -W 2 -I " + spoofed + " " + hostIp)).isZero();
    }
}
