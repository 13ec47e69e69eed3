package org.haven.node;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Host figures from {@code /proc} and the file systems, as {@code /nodes/{node}/status} reports them. */
public final class HostStats {
    private long lastTotal;
    private long lastIdle;
    private long lastIowait;
    private double cpu;
    private double wait;
    private long lastSample;

    /** CPU usage (0..1) since the previous call at least one second ago. */
    public synchronized double[] cpu() {
        long now = System.currentTimeMillis();
        if (now - lastSample < 1000 && lastSample != 0) return new double[] {cpu, wait};
        try {
            String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = line.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) total += Long.parseLong(f[i]);
            long idle = Long.parseLong(f[4]);
            long iowait = Long.parseLong(f[5]);
            if (lastTotal != 0 && total > lastTotal) {
                long dt = total - lastTotal;
                cpu = Math.max(0, Math.min(1, 1.0 - (double) (idle + iowait - lastIdle - lastIowait) / dt));
                wait = Math.max(0, Math.min(1, (double) (iowait - lastIowait) / dt));
            }
            lastTotal = total;
            lastIdle = idle;
            lastIowait = iowait;
            lastSample = now;
        } catch (IOException | RuntimeException e) {
            // keep the previous figures
        }
        return new double[] {cpu, wait};
    }

    public static Map<String, Long> meminfo() {
        Map<String, Long> m = new LinkedHashMap<>();
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                String[] f = l.split("[:\\s]+");
                if (f.length >= 2) m.put(f[0], Long.parseLong(f[1]) * 1024);
            }
        } catch (IOException | NumberFormatException e) { /* empty */ }
        return m;
    }

    public static long uptime() {
        try {
            return (long) Double.parseDouble(Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) { return 0; }
    }

    public static List<String> loadavg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return List.of(f[0], f[1], f[2]);
        } catch (IOException | RuntimeException e) { return List.of("0.00", "0.00", "0.00"); }
    }

    public static String read(String path, String def) {
        try { return Files.readString(Path.of(path)).trim(); } catch (IOException e) { return def; }
    }

    public static Map<String, Object> cpuinfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        String model = "unknown";
        double mhz = 0;
        String flags = "";
        Set<String> sockets = new HashSet<>();
        Set<String> cores = new HashSet<>();
        int cpus = 0;
        try {
            String phys = "0";
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int i = l.indexOf(':');
                if (i < 0) continue;
                String k = l.substring(0, i).trim();
                String v = l.substring(i + 1).trim();
                switch (k) {
                    case "processor" -> cpus++;
                    case "model name" -> model = v;
                    case "cpu MHz" -> mhz = Double.parseDouble(v);
                    case "flags" -> flags = v;
                    case "physical id" -> { phys = v; sockets.add(v); }
                    case "core id" -> cores.add(phys + ":" + v);
                    default -> { }
                }
            }
        } catch (IOException | RuntimeException e) { /* defaults */ }
        if (cpus == 0) cpus = Runtime.getRuntime().availableProcessors();
        m.put("cpus", cpus);
        m.put("cores", cores.isEmpty() ? cpus : cores.size());
        m.put("flags", flags);
        m.put("hvm", flags.contains("vmx") || flags.contains("svm") ? "1" : "0");
        m.put("mhz", String.format("%.3f", mhz));
        m.put("model", model);
        m.put("sockets", Math.max(1, sockets.size()));
        m.put("user_hz", 100);
        return m;
    }

    /** total/used/free/avail bytes of the file system holding {@code path}. */
    public static Map<String, Long> fs(Path path) {
        Map<String, Long> m = new LinkedHashMap<>();
        try {
            FileStore s = Files.getFileStore(path);
            long total = s.getTotalSpace();
            long free = s.getUnallocatedSpace();
            long avail = s.getUsableSpace();
            m.put("avail", avail);
            m.put("free", free);
            m.put("total", total);
            m.put("used", total - free);
        } catch (IOException e) {
            m.put("avail", 0L); m.put("free", 0L); m.put("total", 0L); m.put("used", 0L);
        }
        return m;
    }
}
