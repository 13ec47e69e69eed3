package org.haven.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.haven.core.format.SectionConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StatusConfigTest {
    static final String FILE = """
            # metric servers
            graphite: g1
            \tserver 10.0.0.1
            \tport 2003
            \tpath proxmox.c1
            \tproto tcp
            \ttimeout 3

            influxdb: i1
            \tserver influx.example.com
            \tport 8086
            \tinfluxdbproto https
            \torganization org1
            \tbucket b1
            \tmax-body-size 1000
            \tapi-path-prefix influx
            \tverify-certificate 0
            \tdisable 1
            \tfuture-key kept

            """;

    @Test
    void roundTripKeepsCommentsOrderAndUnknownKeys() {
        assertThat(StatusConfig.write(StatusConfig.parse(FILE))).isEqualTo(FILE);
    }

    @Test
    void idLessHeaderOfOldConfigsIsNamedAfterItsType() {
        SectionConfig.Document doc = StatusConfig.parse("graphite:\n\tserver 1.2.3.4\n\ninfluxdb:\n\tserver 5.6.7.8\n\tport 8089\n");
        assertThat(doc.sections()).extracting(SectionConfig.Section::id).containsExactly("graphite", "influxdb");
        assertThat(StatusConfig.write(doc)).startsWith("graphite: graphite\n\tserver 1.2.3.4\n");
    }

    @Test
    void defaultsAsPveHasThem() {
        SectionConfig.Document doc = StatusConfig.parse("graphite: g\n\tserver h\n\ninfluxdb: i\n\tserver h\n\tport 8089\n");
        List<MetricServer> s = StatusConfig.servers(doc, id -> null);
        MetricServer g = s.get(0), i = s.get(1);
        assertThat(List.of(g.port(), g.mtu(), g.timeout())).containsExactly(2003, 1500, 1);
        assertThat(List.of(g.path(), g.proto())).containsExactly("proxmox", "udp");
        assertThat(g.batchSize()).isEqualTo(1450);
        assertThat(i.http()).isFalse();
        assertThat(List.of(i.organization(), i.bucket())).containsExactly("proxmox", "proxmox");
        assertThat(i.maxBodySize()).isEqualTo(25_000_000);
        assertThat(i.verifyCertificate()).isTrue();
        MetricServer full = StatusConfig.servers(StatusConfig.parse(FILE), id -> "tok-" + id).get(1);
        assertThat(full.http()).isTrue();
        assertThat(full.batchSize()).isEqualTo(1000);
        assertThat(full.disable()).isTrue();
        assertThat(full.verifyCertificate()).isFalse();
        assertThat(full.token()).isEqualTo("tok-i1");
        assertThat(full.writeUrl()).isEqualTo("https://influx.example.com:8086/influx/api/v2/write?org=org1&bucket=b1");
    }

    static Stream<Arguments> urls() {
        return Stream.of(
                Arguments.of(null, "http://h:8086/api/v2/write?org=proxmox&bucket=proxmox"),
                Arguments.of("/", "http://h:8086/api/v2/write?org=proxmox&bucket=proxmox"),
                Arguments.of("/a/b/", "http://h:8086/a/b/api/v2/write?org=proxmox&bucket=proxmox"),
                Arguments.of("a", "http://h:8086/a/api/v2/write?org=proxmox&bucket=proxmox"));
    }

    @ParameterizedTest
    @MethodSource("urls")
    void apiPathPrefix(String prefix, String url) {
        String text = "influxdb: i\n\tserver h\n\tport 8086\n\tinfluxdbproto http\n" + (prefix == null ? "" : "\tapi-path-prefix " + prefix + "\n");
        assertThat(StatusConfig.servers(StatusConfig.parse(text), id -> null).get(0).writeUrl()).isEqualTo(url);
    }

    static Stream<Arguments> checks() {
        return Stream.of(
                Arguments.of("graphite", Map.of("server", "h", "bucket", "b"), "unexpected property 'bucket'"),
                Arguments.of("influxdb", Map.of("server", "h", "port", "1", "path", "p"), "unexpected property 'path'"),
                Arguments.of("influxdb", Map.of("server", "h"), "missing value for required option 'port'"),
                Arguments.of("graphite", Map.of("port", "1"), "missing value for required option 'server'"),
                Arguments.of("statsd", Map.of("server", "h"), "unknown section type 'statsd'"));
    }

    @ParameterizedTest
    @MethodSource("checks")
    void createChecks(String type, Map<String, String> values, String error) {
        assertThatThrownBy(() -> StatusConfig.create(new SectionConfig.Document(), "x", type, values)).hasMessage(error);
    }

    @Test
    void createKeepsTokenOutOfTheFile() {
        SectionConfig.Document doc = new SectionConfig.Document();
        Map<String, String> v = new LinkedHashMap<>();
        v.put("server", "h");
        v.put("port", "8086");
        v.put("influxdbproto", "http");
        v.put("token", "secret");
        StatusConfig.create(doc, "i", "influxdb", v);
        assertThat(StatusConfig.write(doc)).isEqualTo("influxdb: i\n\tport 8086\n\tserver h\n\tinfluxdbproto http\n\n");
        assertThatThrownBy(() -> StatusConfig.create(doc, "i", "graphite", Map.of("server", "h"))).hasMessage("Metric server 'i' already exists");
    }

    static Stream<Arguments> updates() {
        return Stream.of(
                Arguments.of(Map.of("port", "2004"), List.of("timeout"), null,
                        "graphite: g1\n\tserver 10.0.0.1\n\tport 2004\n\tpath proxmox.c1\n\tproto tcp\n"),
                Arguments.of(Map.of("mtu", "9000"), List.of("path", "proto"), null,
                        "graphite: g1\n\tserver 10.0.0.1\n\tport 2003\n\ttimeout 3\n\tmtu 9000\n"),
                Arguments.of(Map.of(), List.of("server"), "unable to delete required option 'server'", null),
                Arguments.of(Map.of(), List.of("bucket"), "no such option 'bucket'", null),
                Arguments.of(Map.of("path", "a"), List.of("path"), "cannot set and delete property 'path' at the same time!", null),
                Arguments.of(Map.of("bucket", "b"), List.of(), "unexpected property 'bucket'", null));
    }

    @ParameterizedTest
    @MethodSource("updates")
    void update(Map<String, String> set, List<String> delete, String error, String section) {
        SectionConfig.Document doc = StatusConfig.parse(FILE);
        if (error != null) {
            assertThatThrownBy(() -> StatusConfig.update(doc, "g1", set, delete)).hasMessage(error);
            assertThat(StatusConfig.write(doc)).isEqualTo(FILE);
        } else {
            StatusConfig.update(doc, "g1", set, delete);
            assertThat(StatusConfig.write(doc)).startsWith("# metric servers\n" + section + "\n");
        }
    }

    @Test
    void unknownServer() {
        assertThatThrownBy(() -> StatusConfig.update(StatusConfig.parse(FILE), "nope", Map.of(), List.of())).hasMessage("no such server 'nope'");
    }
}
