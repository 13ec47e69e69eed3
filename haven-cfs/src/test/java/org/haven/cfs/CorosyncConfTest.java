package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.haven.core.format.HostileText;
import org.junit.jupiter.api.Test;

class CorosyncConfTest {
    static final String CREATED = """
            logging {
              debug: off
              to_syslog: yes
            }

            nodelist {
              node {
                name: pve1
                nodeid: 1
                quorum_votes: 1
                ring0_addr: 10.0.0.1
              }
            }

            quorum {
              provider: corosync_votequorum
            }

            totem {
              cluster_name: demo
              config_version: 1
              interface {
                linknumber: 0
              }
              ip_version: ipv4-6
              link_mode: passive
              secauth: on
              version: 2
            }

            """;

    @Test
    void createMatchesPvecmOutput() {
        CorosyncConf c = CorosyncConf.create("demo", new CorosyncConf.Node("pve1", 1, 1, "10.0.0.1", CorosyncConf.DEFAULT_CFS_PORT));
        assertThat(c.writePve()).isEqualTo(CREATED);
        assertThat(CorosyncConf.parse(CREATED).writePve()).isEqualTo(CREATED);
        assertThat(CorosyncConf.parse(CREATED).toString()).isEqualTo(CREATED);
    }

    @Test
    void addRemoveNodesAndVersion() {
        CorosyncConf c = CorosyncConf.parse(CREATED);
        assertThat(c.clusterName()).isEqualTo("demo");
        assertThat(c.nextNodeId()).isEqualTo(2);
        c.addNode(new CorosyncConf.Node("pve0", c.nextNodeId(), 1, "10.0.0.2", 6000));
        c.bumpConfigVersion();
        assertThat(c.configVersion()).isEqualTo(2);
        String out = c.writePve();
        // nodes are sorted by name in PVE's output
        assertThat(out.indexOf("name: pve0")).isLessThan(out.indexOf("name: pve1"));
        assertThat(out).contains("    haven_cfs_port: 6000\n");
        CorosyncConf back = CorosyncConf.parse(out);
        assertThat(back.nodes()).extracting(CorosyncConf.Node::name).containsExactly("pve0", "pve1");
        assertThat(back.node("pve0").orElseThrow().cfsPort()).isEqualTo(6000);
        assertThat(back.totalVotes()).isEqualTo(2);
        assertThat(back.removeNode("pve1")).isTrue();
        assertThat(back.removeNode("pve1")).isFalse();
        assertThat(back.nodes()).hasSize(1);
        assertThatThrownBy(() -> back.addNode(new CorosyncConf.Node("pve0", 5, 1, null, 1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void commentsAndOrderSurviveRoundTrip() {
        String text = """
                # cluster of the lab
                totem {
                  version: 2
                  cluster_name: lab
                  # bumped by hand
                  config_version: 7
                  interface {
                    ringnumber: 0
                    bindnetaddr: 192.168.1.0
                  }
                }

                quorum {
                  provider: corosync_votequorum
                  two_node: 1
                }

                """;
        CorosyncConf c = CorosyncConf.parse(text);
        assertThat(c.toString()).isEqualTo(text);
        assertThat(c.configVersion()).isEqualTo(7);
        // compact and odd spacing parses the same
        CorosyncConf d = CorosyncConf.parse("totem{version:2\ncluster_name:  lab # x\n  config_version: 7 }\n");
        assertThat(d.configVersion()).isEqualTo(7);
        assertThat(d.clusterName()).isEqualTo("lab");
        assertThatThrownBy(() -> CorosyncConf.parse("totem {\n")).isInstanceOf(CorosyncConf.ParseException.class);
        assertThatThrownBy(() -> CorosyncConf.parse("}\n")).isInstanceOf(CorosyncConf.ParseException.class);
        assertThatThrownBy(() -> CorosyncConf.parse("totem {\n version\n}\n")).isInstanceOf(CorosyncConf.ParseException.class);
        // a key or section name is one word, as PVE reads it; anything else could not be written back
        for (String bad : new String[]{"totem {\n to  version: 2\n}\n", "totem {\n : 2\n}\n", "to\ttem {\n}\n", "to\u00a0tem {\n}\n", "nodelist {\n ring0_addr: 10.0.0.1 interface {\n}\n}\n"})
            assertThatThrownBy(() -> CorosyncConf.parse(bad)).as(bad).isInstanceOf(CorosyncConf.ParseException.class);
    }

    @Test
    void randomConfigsRoundTrip() {
        Random r = new Random(7);
        for (int i = 0; i < 500; i++) {
            CorosyncConf.Block root = new CorosyncConf.Block("");
            fill(root, r, 0);
            String text = CorosyncConf.parse(dumpVia(root)).toString();
            assertThat(CorosyncConf.parse(text).toString()).isEqualTo(text);
            String canon = CorosyncConf.parse(text).writePve();
            assertThat(CorosyncConf.parse(canon).writePve()).isEqualTo(canon);
        }
    }

    /** The tree as the reader keeps it: values without surrounding white space. */
    static String model(CorosyncConf.Block b) {
        StringBuilder sb = new StringBuilder(b.name).append('{');
        for (CorosyncConf.Item i : b.items) {
            switch (i) {
                case CorosyncConf.Value v -> sb.append(v.key()).append('=').append(v.value().strip()).append(';');
                case CorosyncConf.Comment c -> sb.append(c.text()).append(';');
                case CorosyncConf.Block c -> sb.append(model(c));
            }
        }
        return sb.append('}').toString();
    }

    @Test
    void hostileKeysNamesAndValuesAreRefusedOrReadBackExactly() {
        Random r = new Random(20261207);
        int written = 0, refused = 0;
        for (int n = 0; n < 3000; n++) {
            CorosyncConf c = CorosyncConf.create("lab", new CorosyncConf.Node("n1", 1, 1, "10.0.0.1", CorosyncConf.DEFAULT_CFS_PORT));
            CorosyncConf.Block totem = c.root().block("totem").orElseThrow();
            totem.set(r.nextInt(4) == 0 ? HostileText.random(r, 5) : "cluster_name", HostileText.random(r, 10));
            if (r.nextInt(3) == 0) totem.items.add(new CorosyncConf.Block(HostileText.random(r, 5)));
            String text;
            try {
                text = c.toString();
            } catch (org.haven.core.format.ConfigText.UnwritableValueException e) {
                assertThatThrownBy(c::writePve).isInstanceOf(org.haven.core.format.ConfigText.UnwritableValueException.class);
                refused++;
                continue;
            }
            written++;
            assertThat(model(CorosyncConf.parse(text).root())).as(text).isEqualTo(model(c.root()));
        }
        assertThat(written).isGreaterThan(500);
        assertThat(refused).isGreaterThan(500);
    }

    private static String dumpVia(CorosyncConf.Block root) {
        CorosyncConf c = CorosyncConf.parse("");
        c.root().items.addAll(root.items);
        return c.toString();
    }

    private static void fill(CorosyncConf.Block b, Random r, int depth) {
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(depth >= 2 ? 2 : 3);
            if (kind == 0) b.items.add(new CorosyncConf.Value("k" + r.nextInt(5), "v" + r.nextInt(100)));
            else if (kind == 1) b.items.add(new CorosyncConf.Comment("# c" + r.nextInt(10)));
            else {
                CorosyncConf.Block c = new CorosyncConf.Block(r.nextBoolean() ? "node" : "s" + r.nextInt(3));
                fill(c, r, depth + 1);
                b.items.add(c);
            }
        }
    }
}
