package org.haven.node.rrd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import java.util.function.LongToDoubleFunction;
import org.junit.jupiter.api.Test;

class RrdTest {
    /** One gauge and one counter, 60 s steps; 1-minute and 5-minute archives of both functions, 10 rows each. */
    static final Rrd.Def DEF = new Rrd.Def(60,
            List.of(new Rrd.Ds("g", Rrd.DsType.GAUGE, 120), new Rrd.Ds("c", Rrd.DsType.DERIVE, 120)),
            List.of(new Rrd.Rra(Rrd.Cf.AVERAGE, 1, 10), new Rrd.Rra(Rrd.Cf.AVERAGE, 5, 10),
                    new Rrd.Rra(Rrd.Cf.MAX, 1, 10), new Rrd.Rra(Rrd.Cf.MAX, 5, 10)));

    static final long T0 = 1_700_000_000L - 1_700_000_000L % 3600;

    /** Samples every {@code every} seconds from {@code from} to {@code to} (inclusive) of gauge {@code g(t)} and counter {@code c(t)}. */
    static void feed(Rrd r, long from, long to, long every, LongToDoubleFunction g, LongToDoubleFunction c) {
        for (long t = from; t <= to; t += every) r.update(t, new double[] {g.applyAsDouble(t), c.applyAsDouble(t)});
    }

    static double[] col(List<Rrd.Row> rows, int ds) {
        return rows.stream().mapToDouble(r -> r.values()[ds]).toArray();
    }

    @Test
    void constantGaugeAndSteadyCounter() {
        Rrd r = new Rrd(DEF);
        // a counter growing 50 bytes per second, sampled every 10 s, starting off the step grid
        feed(r, T0 + 7, T0 + 7 + 1200, 10, t -> 5, t -> 50.0 * (t - T0));
        List<Rrd.Row> minute = r.fetch(Rrd.Cf.AVERAGE, 60);
        assertThat(minute).hasSize(10);
        assertThat(minute.get(9).time()).isEqualTo(T0 + 1200);
        for (int i = 1; i < minute.size(); i++) assertThat(minute.get(i).time() - minute.get(i - 1).time()).isEqualTo(60);
        assertThat(col(minute, 0)).containsOnly(5.0);
        for (double v : col(minute, 1)) assertThat(v).isCloseTo(50.0, within(1e-9));
        List<Rrd.Row> five = r.fetch(Rrd.Cf.MAX, 300);
        assertThat(five.get(9).time()).isEqualTo(T0 + 1200);
        assertThat(five.get(9).values()[0]).isEqualTo(5.0);
        // the first five-minute rows precede the first sample: unknown
        assertThat(five.get(0).values()[0]).isNaN();
    }

    @Test
    void averageAndMaxConsolidate() {
        Rrd r = new Rrd(DEF);
        // gauge alternates 0 and 10 per minute
        feed(r, T0, T0 + 3000, 10, t -> ((t - 1 - T0) / 60) % 2 == 0 ? 0 : 10, t -> 0);
        Rrd.Row avg = r.fetch(Rrd.Cf.AVERAGE, 300).get(9);
        Rrd.Row max = r.fetch(Rrd.Cf.MAX, 300).get(9);
        assertThat(avg.time()).isEqualTo(T0 + 3000);
        assertThat(avg.values()[0]).isBetween(4.0, 6.0);
        assertThat(max.values()[0]).isEqualTo(10.0);
        assertThat(avg.values()[1]).isEqualTo(0.0);
        // the one-minute archive keeps each minute's own value
        assertThat(col(r.fetch(Rrd.Cf.AVERAGE, 60), 0)).containsOnly(0.0, 10.0);
    }

    @Test
    void gapsLongerThanTheHeartbeatAreUnknown() {
        Rrd r = new Rrd(DEF);
        feed(r, T0, T0 + 300, 10, t -> 1, t -> t - T0);
        // four minutes without samples, then a counter that restarted from zero
        feed(r, T0 + 540, T0 + 600, 10, t -> 2, t -> t - (T0 + 540));
        List<Rrd.Row> m = r.fetch(Rrd.Cf.AVERAGE, 60);
        assertThat(m.get(9).time()).isEqualTo(T0 + 600);
        assertThat(m.get(9).values()[0]).isEqualTo(2.0);
        assertThat(m.get(9).values()[1]).isCloseTo(1.0, within(1e-9));
        // minutes ending at 360..540 fell in the gap
        for (int i = 5; i <= 8; i++) {
            assertThat(m.get(i).time()).isBetween(T0 + 360, T0 + 540);
            assertThat(m.get(i).values()[0]).as("minute ending %d", m.get(i).time() - T0).isNaN();
        }
        assertThat(m.get(4).values()[0]).isEqualTo(1.0);
    }

    @Test
    void refusesSamplesThatAreNotNewer() {
        Rrd r = new Rrd(DEF);
        r.update(T0, new double[] {1, 1});
        assertThatThrownBy(() -> r.update(T0, new double[] {1, 1})).hasMessageContaining("illegal attempt to update using time");
        assertThatThrownBy(() -> r.update(T0 + 1, new double[] {1})).hasMessageContaining("expected 2 values");
    }

    @Test
    void savedStateContinuesExactlyAsTheOriginal() {
        Random rnd = new Random(42);
        for (int round = 0; round < 50; round++) {
            Rrd a = new Rrd(DEF);
            long t = T0 + rnd.nextInt(600);
            double counter = 0;
            int steps = 50 + rnd.nextInt(300);
            int cut = rnd.nextInt(steps);
            Rrd b = null;
            for (int i = 0; i < steps; i++) {
                t += 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 400 : 30);
                counter += rnd.nextInt(1000);
                double[] v = {rnd.nextInt(5) == 0 ? Double.NaN : rnd.nextDouble() * 100, counter};
                a.update(t, v);
                if (b != null) b.update(t, v);
                if (i == cut) b = Rrd.fromBytes(DEF, a.toBytes());
            }
            for (Rrd.Cf cf : Rrd.Cf.values()) {
                for (long reso : new long[] {60, 300}) {
                    List<Rrd.Row> ra = a.fetch(cf, reso), rb = b.fetch(cf, reso);
                    assertThat(rb).hasSameSizeAs(ra);
                    for (int i = 0; i < ra.size(); i++) {
                        assertThat(rb.get(i).time()).isEqualTo(ra.get(i).time());
                        assertThat(rb.get(i).values()).containsExactly(ra.get(i).values());
                    }
                }
            }
        }
    }

    @Test
    void averagesStayWithinTheSampledRange() {
        Random rnd = new Random(7);
        Rrd r = new Rrd(DEF);
        long t = T0;
        for (int i = 0; i < 5000; i++) {
            t += 1 + rnd.nextInt(20);
            r.update(t, new double[] {10 + rnd.nextDouble() * 10, 0});
        }
        for (Rrd.Cf cf : Rrd.Cf.values()) {
            for (long reso : new long[] {60, 300}) {
                for (Rrd.Row row : r.fetch(cf, reso)) assertThat(row.values()[0]).isBetween(10.0, 20.0);
            }
        }
    }

    @Test
    void aForeignOrDamagedStateStartsEmpty() {
        assertThat(Rrd.fromBytes(DEF, new byte[] {1, 2, 3}).lastUpdate()).isZero();
        Rrd other = new Rrd(new Rrd.Def(60, List.of(new Rrd.Ds("x", Rrd.DsType.GAUGE, 120)), List.of(new Rrd.Rra(Rrd.Cf.MAX, 1, 3))));
        other.update(T0, new double[] {1});
        assertThat(Rrd.fromBytes(DEF, other.toBytes()).lastUpdate()).isZero();
    }
}
