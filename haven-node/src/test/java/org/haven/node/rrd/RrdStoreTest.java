package org.haven.node.rrd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RrdStoreTest {
    static final long T0 = 1_700_000_000L - 1_700_000_000L % 3600;

    /** A node sample line as the collector broadcasts it. */
    static String line(String node, long t, double cpu, long netin) {
        return "pve2-node/" + node + ":1234:0:" + t + ":0.50:4:" + cpu + ":0.01:8000:4000:1000:0:50000:20000:" + netin + ":U";
    }

    @Test
    void recordsBroadcastLinesAndAnswersRrddata(@TempDir Path dir) {
        RrdStore s = new RrdStore(dir);
        for (long t = T0; t <= T0 + 1800; t += 10) assertThat(s.update(line("n1", t, 0.25, 100 * (t - T0)))).isTrue();
        // repeated, older, short, unknown and malformed lines are ignored
        assertThat(s.update(line("n1", T0 + 1800, 0.9, 0))).isFalse();
        assertThat(s.update(line("n1", T0 + 100, 0.9, 0))).isFalse();
        assertThat(s.update("pve2.3-vm/100:1:vm:running:0:" + T0 + ":1")).isFalse();
        assertThat(s.update("garbage")).isFalse();
        assertThat(s.update("pve2-node/../x:1:0:" + (T0 + 2000) + ":1:1:1:1:1:1:1:1:1:1:1:1")).isFalse();

        List<Map<String, Object>> hour = s.rrddata("pve2-node/n1", "hour", null, T0 + 1800 + 5);
        assertThat(hour).hasSize(70);
        assertThat(hour.get(69).get("time")).isEqualTo(T0 + 1740);
        assertThat(hour.get(0).get("time")).isEqualTo(T0 + 1800 - 70 * 60);
        Map<String, Object> last = hour.get(69);
        assertThat(last).containsEntry("cpu", 0.25).containsEntry("maxcpu", 4.0).containsEntry("memtotal", 8000.0)
                .containsEntry("rootused", 20000.0).containsEntry("loadavg", 0.5);
        assertThat((Double) last.get("netin")).isEqualTo(100.0);
        // netout was unknown: left out, as PVE leaves undefined values out
        assertThat(last).doesNotContainKey("netout");
        // before the first sample there is only the time
        assertThat(hour.get(0)).containsOnlyKeys("time");
        assertThat(s.rrddata("pve2-node/n1", "day", "MAX", T0 + 1800 + 5)).hasSize(70);
        // another node's key without data: 70 empty intervals
        assertThat(s.rrddata("pve2-node/other", "hour", "AVERAGE", T0)).hasSize(70).allSatisfy(e -> assertThat(e).containsOnlyKeys("time"));

        // the data survive a restart
        assertThat(Files.exists(dir.resolve("pve2-node/n1"))).isTrue();
        RrdStore again = new RrdStore(dir);
        assertThat(again.rrddata("pve2-node/n1", "hour", null, T0 + 1805)).isEqualTo(hour);
        assertThat(again.update(line("n1", T0 + 1810, 0.5, 0))).isTrue();
    }

    @Test
    void storageSamples(@TempDir Path dir) {
        RrdStore s = new RrdStore(dir);
        for (long t = T0; t <= T0 + 600; t += 10) assertThat(s.update("pve2-storage/n1/local:" + t + ":1000:" + (t - T0))).isTrue();
        Map<String, Object> last = s.rrddata("pve2-storage/n1/local", "hour", "MAX", T0 + 600).get(69);
        assertThat(last).containsEntry("time", T0 + 540).containsEntry("total", 1000.0).containsEntry("used", 575.0); // the minute's time-weighted mean
        assertThat(Files.exists(dir.resolve("pve2-storage/n1/local"))).isTrue();
    }

    @Test
    void guestSamples(@TempDir Path dir) {
        RrdStore s = new RrdStore(dir);
        for (long t = T0; t <= T0 + 600; t += 10) {
            java.util.Map<String, Object> vm = new java.util.LinkedHashMap<>();
            vm.put("vmid", 100); vm.put("name", "web"); vm.put("status", "running"); vm.put("uptime", t - T0);
            vm.put("cpus", 2); vm.put("cpu", 0.5); vm.put("maxmem", 1024L); vm.put("mem", 512L); vm.put("maxdisk", 4096L); vm.put("disk", 0);
            vm.put("netin", 3 * (t - T0)); vm.put("netout", 0L); vm.put("diskread", 7 * (t - T0)); vm.put("diskwrite", 0L);
            assertThat(s.update(RrdModule.guestLine(vm, t))).isTrue();
        }
        Map<String, Object> last = s.rrddata("pve2.3-vm/100", "hour", null, T0 + 600).get(69);
        assertThat(last).containsEntry("maxcpu", 2.0).containsEntry("cpu", 0.5).containsEntry("mem", 512.0)
                .containsEntry("netin", 3.0).containsEntry("diskread", 7.0).containsEntry("diskwrite", 0.0);
    }

    @Test
    void physicalNicTrafficOnly() {
        String dev = """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0
                  eth0: 200 2 0 0 0 0 0 0 300 3 0 0 0 0 0 0
                enp3s0: 20 2 0 0 0 0 0 0 30 3 0 0 0 0 0 0
                tap100i0: 5000 2 0 0 0 0 0 0 5000 3 0 0 0 0 0 0
                 vmbr0: 7000 2 0 0 0 0 0 0 7000 3 0 0 0 0 0 0
                """;
        assertThat(RrdModule.netTotals(dev)).containsExactly(220, 330);
    }
}
