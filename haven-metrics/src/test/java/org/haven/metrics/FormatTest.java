package org.haven.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FormatTest {
    static final Snapshot SNAP = new Snapshot(1700000000L, "n1",
            Map.of("uptime", 1234L,
                    "cpustat", Map.of("cpu", 0.25, "wait", 0.0, "cpus", 4, "avg1", "0.50", "avg5", "0.40", "avg15", "0.30"),
                    "memory", Map.of("memtotal", 8192L, "memused", 4096L),
                    "nics", Map.of("eth0", Map.of("receive", 100L, "transmit", 200L), "lo", Map.of("receive", 5L, "transmit", 5L))),
            List.of(new Snapshot.Guest("qemu", 100, Map.of("vmid", 100, "name", "web 1", "status", "running", "cpu", 0.5,
                            "mem", 1024L, "maxmem", 2048L, "template", 0, "pid", 4321, "netin", 10L)),
                    new Snapshot.Guest("lxc", 101, Map.of("name", "", "cpu", Double.NaN, "uptime", 7))),
            List.of(new Snapshot.Storage("local", Map.of("total", 1000L, "used", 250L, "type", "dir", "active", 1))));

    @Test
    void graphiteLinesUsePvesPaths() {
        assertThat(GraphiteFormat.lines("proxmox", SNAP)).containsExactly(
                "proxmox.nodes.n1.cpustat.avg1 0.50 1700000000\n",
                "proxmox.nodes.n1.cpustat.avg15 0.30 1700000000\n",
                "proxmox.nodes.n1.cpustat.avg5 0.40 1700000000\n",
                "proxmox.nodes.n1.cpustat.cpu 0.25 1700000000\n",
                "proxmox.nodes.n1.cpustat.cpus 4 1700000000\n",
                "proxmox.nodes.n1.cpustat.wait 0 1700000000\n",
                "proxmox.nodes.n1.memory.memtotal 8192 1700000000\n",
                "proxmox.nodes.n1.memory.memused 4096 1700000000\n",
                "proxmox.nodes.n1.nics.eth0.receive 100 1700000000\n",
                "proxmox.nodes.n1.nics.eth0.transmit 200 1700000000\n",
                "proxmox.nodes.n1.nics.lo.receive 5 1700000000\n",
                "proxmox.nodes.n1.nics.lo.transmit 5 1700000000\n",
                "proxmox.nodes.n1.uptime 1234 1700000000\n",
                "proxmox.qemu.100.cpu 0.5 1700000000\n",
                "proxmox.qemu.100.maxmem 2048 1700000000\n",
                "proxmox.qemu.100.mem 1024 1700000000\n",
                "proxmox.qemu.100.netin 10 1700000000\n",
                "proxmox.qemu.100.vmid 100 1700000000\n",
                "proxmox.lxc.101.uptime 7 1700000000\n",
                "proxmox.storages.n1.local.active 1 1700000000\n",
                "proxmox.storages.n1.local.total 1000 1700000000\n",
                "proxmox.storages.n1.local.used 250 1700000000\n");
    }

    @Test
    void graphiteKeysWithDotsBecomeDashes() {
        Snapshot s = new Snapshot(5, "n1", Map.of("nics", Map.of("eth0.100", Map.of("receive", 1L))), List.of(), List.of());
        assertThat(GraphiteFormat.lines("a.b", s)).containsExactly("a.b.nodes.n1.nics.eth0-100.receive 1 5\n");
    }

    @Test
    void influxLinesUsePvesMeasurementsAndTags() {
        assertThat(InfluxFormat.lines(SNAP)).containsExactly(
                "cpustat,object=nodes,host=n1 avg1=0.50,avg15=0.30,avg5=0.40,cpu=0.25,cpus=4,wait=0 1700000000000000000\n",
                "memory,object=nodes,host=n1 memtotal=8192,memused=4096 1700000000000000000\n",
                "nics,object=nodes,host=n1,instance=eth0 receive=100,transmit=200 1700000000000000000\n",
                "nics,object=nodes,host=n1,instance=lo receive=5,transmit=5 1700000000000000000\n",
                "system,object=nodes,host=n1 uptime=1234 1700000000000000000\n",
                "system,object=qemu,vmid=100,nodename=n1,host=web\\ 1 cpu=0.5,maxmem=2048,mem=1024,name=\"web 1\",netin=10,pid=4321,"
                        + "status=\"running\",template=0,vmid=100 1700000000000000000\n",
                "system,object=lxc,vmid=101,nodename=n1 uptime=7 1700000000000000000\n",
                "system,object=storages,nodename=n1,host=local,type=dir active=1,total=1000,type=\"dir\",used=250 1700000000000000000\n");
    }

    static Stream<Arguments> values() {
        return Stream.of(
                Arguments.of(12L, false, "12"), Arguments.of(0.1, false, "0.1"), Arguments.of(1e-7, false, "0.0000001"),
                Arguments.of(3.0, false, "3"), Arguments.of(Double.NaN, false, null), Arguments.of(Double.POSITIVE_INFINITY, false, null),
                Arguments.of("42", false, "42"), Arguments.of("42", true, "\"42\""), Arguments.of("say \"hi\"", false, "\"say \\\"hi\\\"\""),
                Arguments.of("nan", false, null), Arguments.of("", false, null));
    }

    @ParameterizedTest
    @MethodSource("values")
    void influxValues(Object v, boolean quote, String expected) {
        assertThat(InfluxFormat.value(v, quote)).isEqualTo(expected);
    }

    static Stream<Arguments> batches() {
        return Stream.of(
                Arguments.of(List.of("aaaa\n", "bbbb\n", "cccc\n"), 100, List.of("aaaa\nbbbb\ncccc\n")),
                // sent once the queue is past half the size and the next line would pass it
                Arguments.of(List.of("aaaa\n", "bbbb\n", "cccc\n"), 12, List.of("aaaa\nbbbb\n", "cccc\n")),
                // a queue of at most half the size takes a line even when it gets too long
                Arguments.of(List.of("aa\n", "bbbbbbbbbbbb\n", "c\n"), 10, List.of("aa\nbbbbbbbbbbbb\n", "c\n")),
                Arguments.of(List.of(), 10, List.of()));
    }

    @ParameterizedTest
    @MethodSource("batches")
    void batchesAsPveCutsThem(List<String> lines, long size, List<String> expected) {
        assertThat(Batches.of(lines, size)).isEqualTo(expected);
    }

    @Test
    void exportNamesAsPvesPullMetrics() {
        List<ExportMetrics.Metric> m = ExportMetrics.of(SNAP);
        assertThat(m).filteredOn(x -> x.id().equals("node/n1")).extracting(x -> x.metric() + "=" + x.value() + ":" + x.type())
                .containsExactly("uptime=1234.0:gauge", "net_in=100.0:derive", "net_out=200.0:derive", "cpu_avg1=0.5:gauge",
                        "cpu_avg5=0.4:gauge", "cpu_avg15=0.3:gauge", "cpu_max=4.0:gauge", "cpu_current=0.25:gauge",
                        "cpu_iowait=0.0:gauge", "mem_total=8192.0:gauge", "mem_used=4096.0:gauge");
        assertThat(m).filteredOn(x -> x.id().equals("qemu/100")).extracting(ExportMetrics.Metric::metric)
                .containsExactly("cpu_current", "mem_total", "mem_used", "net_in");
        assertThat(m).filteredOn(x -> x.id().equals("lxc/101")).extracting(ExportMetrics.Metric::metric).containsExactly("uptime");
        assertThat(m).filteredOn(x -> x.id().equals("storage/n1/local")).extracting(x -> x.metric() + "=" + x.value())
                .containsExactly("disk_total=1000.0", "disk_used=250.0");
    }

    @Test
    void exportHistoryKeepsTheNewestSamples() {
        ExportMetrics e = new ExportMetrics();
        for (int i = 0; i < ExportMetrics.KEEP + 5; i++)
            e.record(new Snapshot(1000 + i * 10L, "n1", Map.of("uptime", i), List.of(), List.of()));
        assertThat(e.read(false, 0)).extracting(ExportMetrics.Metric::timestamp).containsOnly(1000 + (ExportMetrics.KEEP + 4) * 10L);
        List<ExportMetrics.Metric> all = e.read(true, 0);
        assertThat(all.stream().filter(x -> x.metric().equals("uptime"))).hasSize(ExportMetrics.KEEP);
        assertThat(all.get(0).timestamp()).isEqualTo(1050);
        assertThat(e.read(true, 1000 + (ExportMetrics.KEEP + 2) * 10L)).extracting(ExportMetrics.Metric::timestamp).containsOnly(1000 + (ExportMetrics.KEEP + 3) * 10L, 1000 + (ExportMetrics.KEEP + 4) * 10L);
    }
}
