package org.haven.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class DatacenterConfigTest {
    static List<Object[]> shown() {
        return List.of(
                new Object[] {"keyboard: de\n", Map.of("keyboard", "de")},
                new Object[] {"migration: insecure,network=10.1.0.0/24\n",
                        Map.of("migration", Map.of("type", "insecure", "network", "10.1.0.0/24"))},
                new Object[] {"ha: shutdown_policy=migrate\n", Map.of("ha", Map.of("shutdown_policy", "migrate"))},
                new Object[] {"next-id: lower=1000,upper=2000\n", Map.of("next-id", Map.of("lower", 1000L, "upper", 2000L))},
                new Object[] {"bwlimit: default=1024.5,migration=2048\n", Map.of("bwlimit", Map.of("default", 1024.5, "migration", 2048L))},
                new Object[] {"crs: ha=static,ha-rebalance-on-start=1\n", Map.of("crs", Map.of("ha", "static", "ha-rebalance-on-start", 1))},
                new Object[] {"max_workers: 4\n", Map.of("max_workers", 4L)},
                new Object[] {"registered-tags: prod;web\n", Map.of("registered-tags", List.of("prod", "web"))},
                new Object[] {"user-tag-access: user-allow=list,user-allow-list=a;b\n",
                        Map.of("user-tag-access", Map.of("user-allow", "list", "user-allow-list", List.of("a", "b")))},
                new Object[] {"console: applet\n", Map.of("console", "html5")},
                new Object[] {"migration_unsecure: 1\n", Map.of("migration_unsecure", 1, "migration", Map.of("type", "insecure"))},
                new Object[] {"migration_unsecure: 1\nmigration: secure\n", Map.of("migration_unsecure", 1, "migration", Map.of("type", "secure"))},
                new Object[] {"#Our cluster%3A two rooms\n#\n#rack 3\n\nkeyboard: en-us\n",
                        Map.of("description", "Our cluster: two rooms\n\nrack 3\n", "keyboard", "en-us")},
                new Object[] {"some-future-key: x=1\n", Map.of("some-future-key", "x=1")},
                new Object[] {"", Map.of()});
    }

    @ParameterizedTest
    @MethodSource("shown")
    void shownAsPveShowsIt(String text, Map<String, Object> json) {
        assertThat(DatacenterConfig.parse(text).toJson()).isEqualTo(json);
    }

    @Test
    void writtenSortedWithTheDescriptionAsCommentsAndReadBackTheSame() {
        DatacenterConfig c = DatacenterConfig.empty().with(Map.of("migration", "secure,network=10.0.0.0/8", "keyboard", "de",
                "description", "Two rooms: A and B\nrack 3\n", "mac_prefix", "02:00:00"), List.of());
        assertThat(c.text()).isEqualTo("""
                #Two rooms%3A A and B
                #rack 3

                keyboard: de
                mac_prefix: 02:00:00
                migration: secure,network=10.0.0.0/8
                """);
        assertThat(DatacenterConfig.parse(c.text())).isEqualTo(c);
        assertThat(DatacenterConfig.parse(c.text()).text()).isEqualTo(c.text());
    }

    @Test
    void nextIdBoundsThatAreNoNumbersAreTheDefaults() {
        assertThat(DatacenterConfig.parse("next-id: lower=1000,upper=2000\n").nextIds()).isEqualTo(new DatacenterConfig.IdRange(1000, 2000));
        assertThat(DatacenterConfig.parse("next-id: lower=100p,upper=99999999999999999999\n").nextIds())
                .isEqualTo(new DatacenterConfig.IdRange(100, 1_000_000));
    }

    @Test
    void deleteAndTheOldMigrationFlag() {
        DatacenterConfig c = DatacenterConfig.parse("keyboard: de\nmigration_unsecure: 1\nunknown-key: kept\n");
        DatacenterConfig next = c.with(Map.of("language", "en"), List.of("keyboard"));
        assertThat(next.text()).isEqualTo("language: en\nmigration: insecure\nunknown-key: kept\n");
        assertThat(DatacenterConfig.parse("migration: secure\nmigration_unsecure: 1\n").with(Map.of(), List.of()).text())
                .isEqualTo("migration: secure\n");
        assertThat(c.with(Map.of(), List.of("description")).get("description")).isEmpty();
    }

    @Test
    void typedReads() {
        DatacenterConfig c = DatacenterConfig.parse("migration: insecure,network=10.1.0.0/24\nmac_prefix: 02:11\n");
        assertThat(c.properties("migration")).containsEntry("type", "insecure").containsEntry("network", "10.1.0.0/24");
        assertThat(c.properties("ha")).isEmpty();
        assertThat(c.get("mac_prefix")).contains("02:11");
        assertThat(DatacenterConfig.parse("migration: ,,=bad\n").properties("migration")).isEmpty();
        assertThat(DatacenterConfig.parse("migration: insecure,bogus=1\n").properties("migration")).isEqualTo(Map.of("type", "insecure"));
        assertThat(DatacenterConfig.parse("keyboard: de\n").properties("keyboard")).isEmpty();
    }
}
