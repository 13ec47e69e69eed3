package org.haven.node.rrd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The statistics databases of a node, as pmxcfs keeps them: one {@link Rrd} per key ({@code pve2-node/<node>},
 * {@code pve2-storage/<node>/<storage>}, {@code pve2.3-vm/<vmid>}), fed from the sample lines every node
 * broadcasts, stored in
 * {@code dir/<key>}, and read as PVE's {@code rrddata} API answers.
 */
public final class RrdStore {
    /** PVE's node database: 1-minute steps; average and maximum archives for hour, day, week, month and year. */
    public static final Rrd.Def NODE = def(List.of(
            gauge("loadavg"), gauge("maxcpu"), gauge("cpu"), gauge("iowait"), gauge("memtotal"), gauge("memused"),
            gauge("swaptotal"), gauge("swapused"), gauge("roottotal"), gauge("rootused"), derive("netin"), derive("netout")));

    public static final Rrd.Def STORAGE = def(List.of(gauge("total"), gauge("used")));

    /** PVE's guest database ({@code pve2.3-vm/<vmid>}). */
    public static final Rrd.Def GUEST = def(List.of(gauge("maxcpu"), gauge("cpu"), gauge("maxmem"), gauge("mem"), gauge("maxdisk"),
            gauge("disk"), derive("netin"), derive("netout"), derive("diskread"), derive("diskwrite")));

    /** {@code timeframe} of the rrddata calls → row interval in seconds (70 rows each). */
    public static final Map<String, Long> TIMEFRAMES = Map.of("hour", 60L, "day", 1800L, "week", 10800L,
            "month", 43200L, "year", 604800L);
    static final int ROWS = 70;

    private static Rrd.Ds gauge(String n) { return new Rrd.Ds(n, Rrd.DsType.GAUGE, 120); }

    private static Rrd.Ds derive(String n) { return new Rrd.Ds(n, Rrd.DsType.DERIVE, 120); }

    private static Rrd.Def def(List<Rrd.Ds> ds) {
        List<Rrd.Rra> rras = new ArrayList<>();
        for (Rrd.Cf cf : Rrd.Cf.values()) for (int steps : new int[] {1, 30, 180, 720, 10080}) rras.add(new Rrd.Rra(cf, steps, ROWS));
        return new Rrd.Def(60, ds, rras);
    }

    /** Layout and the number of leading fields that are live data, not recorded (after the key). */
    record Kind(Rrd.Def def, int skip) {}

    static Optional<Kind> kind(String key) {
        if (key.startsWith("pve2-node/")) return Optional.of(new Kind(NODE, 2)); // uptime, sublevel
        if (key.startsWith("pve2-storage/")) return Optional.of(new Kind(STORAGE, 0));
        if (key.startsWith("pve2.3-vm/")) return Optional.of(new Kind(GUEST, 4)); // uptime, name, status, template
        return Optional.empty();
    }

    private final Path dir;
    private final Map<String, Rrd> open = new HashMap<>();

    public RrdStore(Path dir) {
        this.dir = dir;
    }

    private static boolean validKey(String key) {
        return !key.isEmpty() && !key.contains("..") && key.matches("[A-Za-z0-9._/-]+") && !key.startsWith("/");
    }

    private Rrd load(String key, Rrd.Def def) {
        return open.computeIfAbsent(key, k -> {
            Path f = dir.resolve(k);
            try {
                return Files.exists(f) ? Rrd.fromBytes(def, Files.readAllBytes(f)) : new Rrd(def);
            } catch (IOException e) {
                return new Rrd(def);
            }
        });
    }

    /**
     * Records one broadcast line {@code key:field:field:…} ({@code U} or empty for unknown); returns whether
     * a new sample was stored (older or repeated samples and unknown keys are ignored).
     */
    public synchronized boolean update(String line) {
        String l = line.strip();
        int colon = l.indexOf(':');
        if (colon <= 0) return false;
        String key = l.substring(0, colon);
        Optional<Kind> kind = kind(key);
        if (kind.isEmpty() || !validKey(key)) return false;
        String[] f = l.substring(colon + 1).split(":", -1);
        int skip = kind.get().skip();
        int n = kind.get().def().ds().size();
        if (f.length < skip + 1 + n) return false;
        long time;
        try {
            time = Long.parseLong(f[skip]);
        } catch (NumberFormatException e) {
            return false;
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            String s = f[skip + 1 + i];
            try {
                v[i] = s.isEmpty() || s.equals("U") ? Double.NaN : Double.parseDouble(s);
            } catch (NumberFormatException e) {
                v[i] = Double.NaN;
            }
        }
        Rrd rrd = load(key, kind.get().def());
        if (time <= rrd.lastUpdate()) return false;
        rrd.update(time, v);
        save(key, rrd);
        return true;
    }

    private void save(String key, Rrd rrd) {
        Path f = dir.resolve(key);
        try {
            Files.createDirectories(f.getParent());
            Path tmp = f.resolveSibling("." + f.getFileName() + ".tmp");
            Files.write(tmp, rrd.toBytes());
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("unable to write RRD '" + key + "' - " + e.getMessage(), e);
        }
    }

    /**
     * PVE's {@code rrddata}: the 70 intervals of {@code timeframe} before {@code now} (aligned to the interval),
     * oldest first, each {@code {time, <source>: value…}} with unknown values left out.
     */
    public synchronized List<Map<String, Object>> rrddata(String key, String timeframe, String cf, long now) {
        Long reso = TIMEFRAMES.get(timeframe);
        if (reso == null) throw new IllegalArgumentException("unknown timeframe '" + timeframe + "'");
        Kind kind = kind(key).orElseThrow(() -> new IllegalArgumentException("no statistics for '" + key + "'"));
        Rrd.Cf c = cf == null ? Rrd.Cf.AVERAGE : Rrd.Cf.valueOf(cf);
        Map<Long, double[]> byEnd = new HashMap<>();
        if (validKey(key) && (open.containsKey(key) || Files.exists(dir.resolve(key)))) {
            for (Rrd.Row r : load(key, kind.def()).fetch(c, reso)) byEnd.put(r.time(), r.values());
        }
        List<String> names = kind.def().names();
        long end = reso * (now / reso);
        long start = end - reso * ROWS;
        List<Map<String, Object>> out = new ArrayList<>();
        for (long t = start; t < end; t += reso) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("time", t);
            double[] v = byEnd.get(t + reso);
            if (v != null) {
                for (int i = 0; i < names.size(); i++) if (!Double.isNaN(v[i])) e.put(names.get(i), v[i]);
            }
            out.add(e);
        }
        return out;
    }
}
