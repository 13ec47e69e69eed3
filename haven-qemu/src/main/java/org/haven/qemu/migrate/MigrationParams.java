package org.haven.qemu.migrate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.haven.qemu.config.QemuOptions;

/**
 * The QMP migration settings PVE derives from a VM config ({@code phase2} of {@code PVE::QemuMigrate}): the
 * downtime limit from {@code migrate_downtime} (seconds, default 0.1), the XBZRLE cache as a tenth of the memory
 * rounded up to a power of two, and the bandwidth as the lower of the migration's bandwidth limit (KiB/s, see
 * {@link org.haven.guest.migrate.BandwidthLimit}) and {@code migrate_speed} (MiB/s); without a limit QEMU's
 * 128 MiB/s default is lifted. Pure.
 */
public record MigrationParams(long downtimeMs, long cacheSize, long maxBandwidth) {

    /** Capabilities PVE enables where QEMU supports them ({@code set_migration_caps}). */
    public static final List<String> CAPABILITIES = List.of("auto-converge", "xbzrle");

    /** The bandwidth used when no limit is configured (16 GiB/s, i.e. unlimited in practice). */
    public static final long UNLIMITED = 16L << 30;

    public static MigrationParams of(Map<String, String> conf, Long bwlimitKiB) {
        double downtime = 0.1;
        String d = conf.get("migrate_downtime");
        if (d != null && !d.isBlank()) downtime = Double.parseDouble(d);
        long downtimeMs = Math.round(downtime * 1000);
        String mem = conf.getOrDefault("memory", "512");
        long memMb = Long.parseLong(QemuOptions.props("memory", mem).getOrDefault("current", "512"));
        long cache = roundPowerOf2(memMb * 1048576 / 10);
        long speedKiB = 0;
        String s = conf.get("migrate_speed");
        if (s != null && !s.isBlank()) speedKiB = Long.parseLong(s) * 1024;
        // the lower of migrate_speed and the bandwidth limit
        if (bwlimitKiB != null && bwlimitKiB > 0) speedKiB = speedKiB > 0 ? Math.min(speedKiB, bwlimitKiB) : bwlimitKiB;
        return new MigrationParams(downtimeMs, cache, speedKiB * 1024);
    }

    /** PVE's round_powerof2: the smallest power of two not below {@code n} (1 for n &lt; 2). */
    public static long roundPowerOf2(long n) {
        if (n < 2) return 1;
        return Long.highestOneBit(n - 1) << 1;
    }

    /** The arguments of {@code migrate-set-parameters}. */
    public Map<String, Object> qmpArguments() {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        m.put("downtime-limit", downtimeMs);
        m.put("xbzrle-cache-size", cacheSize);
        m.put("max-bandwidth", maxBandwidth > 0 ? maxBandwidth : UNLIMITED);
        return m;
    }
}
