package org.haven.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PrometheusFormatTest {
    static Map<String, Object> m(String id, String metric, long t, String type, double v) {
        return new ExportMetrics.Metric(id, metric, t, type, v).toMap();
    }

    @Test
    void familiesWithTypesAndSortedSamples() {
        String text = PrometheusFormat.exposition(List.of(
                m("qemu/100", "cpu_current", 10, "gauge", 0.5),
                m("node/n1", "cpu_current", 10, "gauge", 0.25),
                m("node/n1", "net_in", 10, "derive", 1234),
                m("storage/n1/local", "disk_used", 10, "gauge", 250),
                m("node/n1", "cpu_current", 20, "gauge", 0.75)));
        assertThat(text).isEqualTo("""
                # TYPE haven_cpu_current gauge
                haven_cpu_current{id="node/n1",type="node"} 0.75
                haven_cpu_current{id="qemu/100",type="qemu"} 0.5
                # TYPE haven_disk_used gauge
                haven_disk_used{id="storage/n1/local",type="storage"} 250
                # TYPE haven_net_in_total counter
                haven_net_in_total{id="node/n1",type="node"} 1234
                """);
    }

    @Test
    void exportOfASnapshot() {
        String text = PrometheusFormat.exposition(ExportMetrics.of(FormatTest.SNAP).stream().map(ExportMetrics.Metric::toMap).toList());
        assertThat(text).contains("haven_mem_used{id=\"node/n1\",type=\"node\"} 4096\n", "haven_mem_used{id=\"qemu/100\",type=\"qemu\"} 1024\n",
                "# TYPE haven_net_out_total counter\nhaven_net_out_total{id=\"node/n1\",type=\"node\"} 200\n",
                "haven_uptime{id=\"lxc/101\",type=\"lxc\"} 7\n");
        // every sample line is name{labels} value
        for (String l : text.split("\n")) assertThat(l).matches("# TYPE haven_[a-z0-9_]+ (gauge|counter)|haven_[a-z0-9_]+\\{id=\"[^\"]+\",type=\"[a-z]+\"\\} [0-9.eE+-]+");
    }

    static Stream<Arguments> values() {
        return Stream.of(Arguments.of(1.0, "1"), Arguments.of(0.125, "0.125"), Arguments.of(Double.NaN, "NaN"),
                Arguments.of(Double.POSITIVE_INFINITY, "+Inf"), Arguments.of(Double.NEGATIVE_INFINITY, "-Inf"), Arguments.of(1e20, "100000000000000000000"));
    }

    @ParameterizedTest
    @MethodSource("values")
    void sampleValues(double v, String text) {
        assertThat(PrometheusFormat.value(v)).isEqualTo(text);
    }
}
