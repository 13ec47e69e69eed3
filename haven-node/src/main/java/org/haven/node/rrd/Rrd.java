package org.haven.node.rrd;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A round-robin database with rrdtool's model, as pmxcfs keeps one per node, guest and storage: data sources
 * ({@code GAUGE} or {@code DERIVE} with a heartbeat), a base step, and archives that consolidate
 * {@code steps} primary points with {@code AVERAGE} or {@code MAX} into {@code rows} rows. Pure: time comes
 * with each update. Unknown values are {@link Double#NaN}.
 */
public final class Rrd {
    public enum DsType { GAUGE, DERIVE }

    public enum Cf { AVERAGE, MAX }

    public record Ds(String name, DsType type, long heartbeat) {}

    public record Rra(Cf cf, int steps, int rows) {}

    /** The layout of a database: base step in seconds, data sources and archives. */
    public record Def(long step, List<Ds> ds, List<Rra> rras) {
        public Def {
            ds = List.copyOf(ds);
            rras = List.copyOf(rras);
        }

        public List<String> names() { return ds.stream().map(Ds::name).toList(); }
    }

    /** One consolidated row: its time (end of the interval) and a value per data source. */
    public record Row(long time, double[] values) {}

    private static final double XFF = 0.5;

    private final Def def;
    private long lastUpdate;
    private final double[] lastRaw;
    /** Current primary point: start (step-aligned), known seconds and value-seconds per source. */
    private long pdpStart;
    private final double[] pdpKnown;
    private final double[] pdpSum;
    /** Per archive: ring of rows, index of the newest row, time of the newest row, and the row being built. */
    private final double[][][] rows;
    private final int[] head;
    private final long[] headTime;
    private final double[][] cdpAcc;
    private final int[][] cdpUnknown;
    private final int[] cdpCount;

    public Rrd(Def def) {
        this.def = def;
        int n = def.ds().size();
        lastRaw = new double[n];
        Arrays.fill(lastRaw, Double.NaN);
        pdpKnown = new double[n];
        pdpSum = new double[n];
        int a = def.rras().size();
        rows = new double[a][][];
        head = new int[a];
        headTime = new long[a];
        cdpAcc = new double[a][n];
        cdpUnknown = new int[a][n];
        cdpCount = new int[a];
        for (int i = 0; i < a; i++) {
            rows[i] = new double[def.rras().get(i).rows()][n];
            for (double[] r : rows[i]) Arrays.fill(r, Double.NaN);
            head[i] = -1;
            resetCdp(i);
        }
    }

    public Def def() { return def; }

    public long lastUpdate() { return lastUpdate; }

    /**
     * Adds a sample taken at {@code time} (epoch seconds); {@code values} in data source order, NaN when
     * unknown. Samples not newer than the last one are refused, as rrdtool does.
     */
    public void update(long time, double[] values) {
        if (values.length != def.ds().size()) throw new IllegalArgumentException("expected " + def.ds().size() + " values, got " + values.length);
        if (lastUpdate != 0 && time <= lastUpdate) {
            throw new IllegalArgumentException("illegal attempt to update using time " + time + " when last update time is " + lastUpdate + " (minimum one second step)");
        }
        int n = values.length;
        double[] rate = new double[n];
        for (int i = 0; i < n; i++) {
            Ds ds = def.ds().get(i);
            double v = values[i];
            if (lastUpdate == 0 || time - lastUpdate > ds.heartbeat()) {
                rate[i] = Double.NaN;
            } else if (ds.type() == DsType.DERIVE) {
                double r = (v - lastRaw[i]) / (time - lastUpdate);
                rate[i] = Double.isNaN(r) || r < 0 ? Double.NaN : r; // min 0: a reset counter is unknown
            } else {
                rate[i] = v < 0 ? Double.NaN : v;
            }
            lastRaw[i] = v;
        }
        if (lastUpdate == 0) {
            lastUpdate = time;
            pdpStart = time - time % def.step();
            return;
        }
        // the interval (lastUpdate, time] has the new rate; close every primary point it completes
        long t = lastUpdate;
        while (t < time) {
            long pdpEnd = pdpStart + def.step();
            long segEnd = Math.min(time, pdpEnd);
            long secs = segEnd - t;
            for (int i = 0; i < n; i++) {
                if (!Double.isNaN(rate[i])) {
                    pdpKnown[i] += secs;
                    pdpSum[i] += rate[i] * secs;
                }
            }
            t = segEnd;
            if (t == pdpEnd) {
                double[] pdp = new double[n];
                for (int i = 0; i < n; i++) pdp[i] = pdpKnown[i] * 2 >= def.step() ? pdpSum[i] / pdpKnown[i] : Double.NaN;
                addPdp(pdpEnd, pdp);
                pdpStart = pdpEnd;
                Arrays.fill(pdpKnown, 0);
                Arrays.fill(pdpSum, 0);
            }
        }
        lastUpdate = time;
    }

    private void resetCdp(int a) {
        Arrays.fill(cdpAcc[a], def.rras().get(a).cf() == Cf.MAX ? Double.NEGATIVE_INFINITY : 0);
        Arrays.fill(cdpUnknown[a], 0);
        cdpCount[a] = 0;
    }

    private void addPdp(long end, double[] pdp) {
        for (int a = 0; a < rows.length; a++) {
            Rra rra = def.rras().get(a);
            for (int i = 0; i < pdp.length; i++) {
                if (Double.isNaN(pdp[i])) cdpUnknown[a][i]++;
                else if (rra.cf() == Cf.MAX) cdpAcc[a][i] = Math.max(cdpAcc[a][i], pdp[i]);
                else cdpAcc[a][i] += pdp[i];
            }
            cdpCount[a]++;
            long span = rra.steps() * def.step();
            if (end % span != 0) continue;
            double[] row = new double[pdp.length];
            for (int i = 0; i < pdp.length; i++) {
                int known = cdpCount[a] - cdpUnknown[a][i];
                // primary points before the first update of this interval count as unknown
                int missing = rra.steps() - cdpCount[a];
                if (known == 0 || (double) (cdpUnknown[a][i] + missing) / rra.steps() > XFF) row[i] = Double.NaN;
                else row[i] = rra.cf() == Cf.MAX ? cdpAcc[a][i] : cdpAcc[a][i] / known;
            }
            storeRow(a, end, row);
            resetCdp(a);
        }
    }

    private void storeRow(int a, long end, double[] row) {
        Rra rra = def.rras().get(a);
        long span = rra.steps() * def.step();
        if (head[a] >= 0) {
            // rows skipped since the newest one are unknown
            long gaps = Math.min(rra.rows(), (end - headTime[a]) / span - 1);
            for (long g = 0; g < gaps; g++) {
                head[a] = (head[a] + 1) % rra.rows();
                Arrays.fill(rows[a][head[a]], Double.NaN);
            }
        }
        head[a] = (head[a] + 1) % rra.rows();
        rows[a][head[a]] = row;
        headTime[a] = end;
    }

    /**
     * The archive with consolidation {@code cf} and row interval {@code resolution} seconds (the smallest that
     * is at least as coarse when none matches exactly): all its rows, oldest first, ending with the newest
     * completed row. Empty before the first row is complete.
     */
    public List<Row> fetch(Cf cf, long resolution) {
        int best = -1;
        for (int a = 0; a < rows.length; a++) {
            Rra r = def.rras().get(a);
            if (r.cf() != cf || r.steps() * def.step() < resolution) continue;
            if (best < 0 || r.steps() < def.rras().get(best).steps()) best = a;
        }
        if (best < 0) throw new IllegalArgumentException("no " + cf + " archive with resolution " + resolution);
        List<Row> out = new ArrayList<>();
        if (head[best] < 0) return out;
        Rra r = def.rras().get(best);
        long span = r.steps() * def.step();
        for (int k = r.rows() - 1; k >= 0; k--) {
            int idx = Math.floorMod(head[best] - k, r.rows());
            out.add(new Row(headTime[best] - k * span, rows[best][idx].clone()));
        }
        return out;
    }

    // ---- persistence ---------------------------------------------------------------------------------

    private static final int MAGIC = 0x48525244; // "HRRD"

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            DataOutputStream o = new DataOutputStream(bo);
            o.writeInt(MAGIC);
            o.writeInt(def.ds().size());
            o.writeInt(rows.length);
            o.writeLong(lastUpdate);
            o.writeLong(pdpStart);
            for (int i = 0; i < lastRaw.length; i++) {
                o.writeDouble(lastRaw[i]);
                o.writeDouble(pdpKnown[i]);
                o.writeDouble(pdpSum[i]);
            }
            for (int a = 0; a < rows.length; a++) {
                o.writeInt(rows[a].length);
                o.writeInt(head[a]);
                o.writeLong(headTime[a]);
                o.writeInt(cdpCount[a]);
                for (int i = 0; i < lastRaw.length; i++) {
                    o.writeDouble(cdpAcc[a][i]);
                    o.writeInt(cdpUnknown[a][i]);
                }
                for (double[] row : rows[a]) for (double v : row) o.writeDouble(v);
            }
            o.flush();
            return bo.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Restores a database saved by {@link #toBytes()}; a layout that no longer matches {@code def} starts empty. */
    public static Rrd fromBytes(Def def, byte[] data) {
        Rrd r = new Rrd(def);
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            if (in.readInt() != MAGIC || in.readInt() != def.ds().size() || in.readInt() != def.rras().size()) return r;
            r.lastUpdate = in.readLong();
            r.pdpStart = in.readLong();
            for (int i = 0; i < r.lastRaw.length; i++) {
                r.lastRaw[i] = in.readDouble();
                r.pdpKnown[i] = in.readDouble();
                r.pdpSum[i] = in.readDouble();
            }
            for (int a = 0; a < r.rows.length; a++) {
                if (in.readInt() != def.rras().get(a).rows()) return new Rrd(def);
                r.head[a] = in.readInt();
                r.headTime[a] = in.readLong();
                r.cdpCount[a] = in.readInt();
                for (int i = 0; i < r.lastRaw.length; i++) {
                    r.cdpAcc[a][i] = in.readDouble();
                    r.cdpUnknown[a][i] = in.readInt();
                }
                for (double[] row : r.rows[a]) for (int i = 0; i < row.length; i++) row[i] = in.readDouble();
            }
            return r;
        } catch (IOException e) {
            return new Rrd(def);
        }
    }
}
