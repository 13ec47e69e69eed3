package org.haven.cfs.lin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.haven.cfs.lin.LinearizabilityChecker.Kind;
import org.haven.cfs.lin.LinearizabilityChecker.Op;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
    static Op w(int id, String v, long s, long e) { return new Op(id, Kind.WRITE, null, v, true, false, s, e); }
    static Op r(int id, String v, long s, long e) { return new Op(id, Kind.READ, null, v, true, false, s, e); }
    static Op cas(int id, String from, String to, boolean ok, long s, long e) { return new Op(id, Kind.CAS, from, to, ok, false, s, e); }
    static Op lost(int id, String v, long s) { return new Op(id, Kind.WRITE, null, v, false, true, s, 0); }

    static boolean ok(String initial, Op... ops) { return LinearizabilityChecker.check(List.of(ops), initial).linearizable(); }

    @Test
    void table() {
        // sequential
        assertThat(ok(null, w(1, "a", 0, 1), r(2, "a", 2, 3))).isTrue();
        // stale read after a completed write
        assertThat(ok(null, w(1, "a", 0, 1), r(2, null, 2, 3))).isFalse();
        // concurrent read may see either
        assertThat(ok(null, w(1, "a", 0, 10), r(2, null, 2, 3))).isTrue();
        assertThat(ok(null, w(1, "a", 0, 10), r(2, "a", 2, 3))).isTrue();
        // reads going backwards
        assertThat(ok(null, w(1, "a", 0, 10), r(2, "a", 2, 3), r(3, null, 4, 5))).isFalse();
        // a value that was never written
        assertThat(ok(null, r(1, "x", 0, 1))).isFalse();
        // two successful CAS from the same value
        assertThat(ok("a", cas(1, "a", "b", true, 0, 5), cas(2, "a", "c", true, 1, 6))).isFalse();
        assertThat(ok("a", cas(1, "a", "b", true, 0, 5), cas(2, "a", "c", false, 1, 6))).isTrue();
        // failed CAS while the value matched and nothing else ran
        assertThat(ok("a", cas(1, "a", "b", false, 0, 1))).isFalse();
        // an unknown write may take effect later or never
        assertThat(ok(null, lost(1, "a", 0), r(2, null, 1, 2), r(3, "a", 3, 4))).isTrue();
        assertThat(ok(null, lost(1, "a", 0), r(2, null, 1, 2))).isTrue();
        assertThat(ok(null, lost(1, "a", 5), r(2, "a", 1, 2))).isFalse();
        // an acknowledged write that is lost
        assertThat(ok(null, w(1, "a", 0, 1), w(2, "b", 2, 3), r(3, "a", 4, 5))).isFalse();
    }

    /** Sequential histories of a real register are linearizable; corrupting one read breaks it. */
    @Test
    void randomSequentialHistories() {
        Random rnd = new Random(99);
        for (int round = 0; round < 300; round++) {
            List<Op> ops = new ArrayList<>();
            String cur = null;
            long t = 0;
            for (int i = 0; i < 30; i++) {
                int k = rnd.nextInt(3);
                long s = t, e = t + 1 + rnd.nextInt(3);
                t = e + 1;
                if (k == 0) { String v = "v" + i; ops.add(w(i, v, s, e)); cur = v; }
                else if (k == 1) ops.add(r(i, cur, s, e));
                else {
                    String from = rnd.nextBoolean() ? cur : "zz";
                    boolean success = java.util.Objects.equals(from, cur);
                    ops.add(cas(i, from, "c" + i, success, s, e));
                    if (success) cur = "c" + i;
                }
            }
            assertThat(LinearizabilityChecker.check(ops, null).linearizable()).isTrue();
            int victim = -1;
            for (int i = ops.size() - 1; i >= 0; i--) if (ops.get(i).kind() == Kind.READ) { victim = i; break; }
            if (victim >= 0) {
                Op o = ops.get(victim);
                ops.set(victim, r(o.id(), "never-written", o.start(), o.end()));
                assertThat(LinearizabilityChecker.check(ops, null).linearizable()).isFalse();
            }
        }
    }
}
