package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.haven.core.cfs.CfsException;
import org.junit.jupiter.api.Test;

class CfsPathTest {
    @Test
    void resolveTable() {
        String[][] cases = {
                {"", ""}, {"/", ""}, {"storage.cfg", "storage.cfg"}, {"/storage.cfg", "storage.cfg"},
                {"priv//shadow.cfg", "priv/shadow.cfg"}, {"nodes/n1/", "nodes/n1"},
                {"local", "nodes/n1"}, {"local/qemu-server/100.conf", "nodes/n1/qemu-server/100.conf"},
                {"qemu-server", "nodes/n1/qemu-server"}, {"qemu-server/100.conf", "nodes/n1/qemu-server/100.conf"},
                {"lxc/200.conf", "nodes/n1/lxc/200.conf"}, {"openvz", "nodes/n1/openvz"},
                {"nodes/local", "nodes/local"}, {"ha/qemu-server", "ha/qemu-server"}, {"localx", "localx"},
        };
        for (String[] c : cases) assertThat(CfsPath.resolve(c[0], "n1")).as(c[0]).isEqualTo(c[1]);
        for (String bad : new String[] {"..", "a/../b", "./x", "a/\u0001"}) {
            assertThatThrownBy(() -> CfsPath.resolve(bad, "n1")).isInstanceOf(CfsException.class);
        }
    }

    @Test
    void privateAndGuestPaths() {
        assertThat(CfsPath.isPrivate("priv")).isTrue();
        assertThat(CfsPath.isPrivate("priv/lock/x")).isTrue();
        assertThat(CfsPath.isPrivate("nodes/a/priv/x")).isTrue();
        assertThat(CfsPath.isPrivate("nodes/a/private")).isFalse();
        assertThat(CfsPath.isPrivate("privx")).isFalse();
        assertThat(CfsPath.guestConfig("nodes/a/qemu-server/100.conf")).contains(new CfsPath.GuestConfig("a", "qemu-server", 100));
        assertThat(CfsPath.guestConfig("nodes/a/lxc/999999999.conf")).contains(new CfsPath.GuestConfig("a", "lxc", 999999999));
        assertThat(CfsPath.guestConfig("nodes/a/lxc/0100.conf")).isEmpty();
        assertThat(CfsPath.guestConfig("nodes/a/lxc/100.conf.tmp")).isEmpty();
        assertThat(CfsPath.guestConfig("nodes/a/b/qemu-server/100.conf")).isEmpty();
        assertThat(CfsPath.isUnder("nodes/a/b", "nodes/a")).isTrue();
        assertThat(CfsPath.isUnder("nodes/ab", "nodes/a")).isFalse();
        assertThat(CfsPath.isUnder("x", "")).isTrue();
    }

    @Test
    void resolveIsIdempotentAndCanonical() {
        Random r = new Random(42);
        String[] comps = {"a", "nodes", "local", "qemu-server", "lxc", "priv", "x.cfg", "", "n1"};
        for (int i = 0; i < 5000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(6);
            for (int k = 0; k < len; k++) {
                if (r.nextBoolean()) sb.append('/');
                sb.append(comps[r.nextInt(comps.length)]);
            }
            if (r.nextInt(4) == 0) sb.append('/');
            String once = CfsPath.resolve(sb.toString(), "n1");
            assertThat(once).doesNotStartWith("/").doesNotEndWith("/").doesNotContain("//");
            // resolving again changes nothing unless the first component is a link name
            String first = once.contains("/") ? once.substring(0, once.indexOf('/')) : once;
            if (!CfsPath.LINKS.contains(first)) assertThat(CfsPath.resolve(once, "n1")).isEqualTo(once);
        }
    }
}
