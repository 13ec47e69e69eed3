package org.haven.cfs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class PvecmTest {
    static final Pvecm.View THREE = new Pvecm.View("demo", 3, true, List.of(
            new Pvecm.NodeRow("pve1", 1, 1, "10.0.0.1", true, true),
            new Pvecm.NodeRow("pve2", 2, 1, "10.0.0.2", true, false),
            new Pvecm.NodeRow("pve3", 3, 1, "10.0.0.3", false, false)), "knet", "on");

    @Test
    void statusShowsQuorumVotesAndMembership() {
        String s = Pvecm.renderStatus(THREE, ZonedDateTime.of(2026, 11, 22, 0, 40, 12, 0, ZoneOffset.UTC));
        assertThat(s).isEqualTo("""
                Cluster information
                -------------------
                Name:             demo
                Config Version:   3
                Transport:        knet
                Secure auth:      on

                Quorum information
                ------------------
                Date:             Sun Nov 22 00:40:12 2026
                Quorum provider:  corosync_votequorum
                Nodes:            2
                Node ID:          0x00000001
                Ring ID:          1.3
                Quorate:          Yes

                Votequorum information
                ----------------------
                Expected votes:   3
                Highest expected: 3
                Total votes:      2
                Quorum:           2\s
                Flags:            Quorate\s

                Membership information
                ----------------------
                    Nodeid      Votes Name
                0x00000001          1 10.0.0.1 (local)
                0x00000002          1 10.0.0.2
                """);
    }

    @Test
    void notQuorateIsBlocked() {
        Pvecm.View alone = new Pvecm.View("demo", 3, false, List.of(
                new Pvecm.NodeRow("pve1", 1, 1, "10.0.0.1", true, true),
                new Pvecm.NodeRow("pve2", 2, 1, "10.0.0.2", false, false),
                new Pvecm.NodeRow("pve3", 3, 1, "10.0.0.3", false, false)), "knet", "on");
        String s = Pvecm.renderStatus(alone, ZonedDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC));
        assertThat(s).contains("Quorate:          No\n").contains("Quorum:           2 Activity blocked\n")
                .contains("Total votes:      1\n").contains("Flags:            \n");
    }

    @Test
    void nodesListsOnlineMembersWithDecimalIds() {
        assertThat(Pvecm.renderNodes(THREE)).isEqualTo("""

                Membership information
                ----------------------
                    Nodeid      Votes Name
                         1          1 pve1 (local)
                         2          1 pve2
                """);
    }
}
