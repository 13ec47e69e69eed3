package org.haven.guest.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** PVE's bandwidth limit resolution, as a table: storages' and datacenter limits, overrides and who may exceed which limit. */
class BandwidthLimitTest {

    static final Map<String, String> STORAGES = Map.of(
            "fast", "default=100000",
            "slow", "migration=1000,clone=3000",
            "restore", "restore=500",
            "none", "");

    /** Rights as a list: {@code all} (Datastore.Allocate on /storage), storage IDs, {@code sys} (Sys.Modify on /). */
    static BandwidthLimit.Rights rights(String spec) {
        Set<String> r = spec == null ? Set.of() : Set.of(spec.split(" "));
        return new BandwidthLimit.Rights() {
            @Override public boolean datastoreAllocate(String storage) { return r.contains(storage == null ? "all" : storage); }
            @Override public boolean sysModify() { return r.contains("sys"); }
        };
    }

    @ParameterizedTest(name = "{0} [{1}] override={2} dc={3} rights={4} -> {5}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // operation | storages | override | datacenter | rights | expected
            "migration | -         | -      | -                          | -        | -",
            "migration | -         | -      | migration=5000             | -        | 5000",
            "migration | -         | -      | default=7000               | -        | 7000",
            "migration | -         | -      | clone=1,default=7000       | -        | 7000",
            "migration | -         | -      | clone=1                    | -        | -",
            "migration | -         | 9000   | migration=5000             | -        | 5000",
            "migration | -         | 2000   | migration=5000             | -        | 2000",
            "migration | -         | 9000   | migration=5000             | sys      | 9000",
            "migration | -         | 0      | migration=5000             | -        | 5000",
            "migration | -         | 0      | migration=5000             | sys      | 0",
            // a storage limit takes precedence over the datacenter's
            "migration | slow      | -      | migration=500              | -        | 1000",
            "clone     | slow      | -      | migration=500              | -        | 3000",
            "migration | fast      | -      | migration=500              | -        | 100000",
            // a storage without an applicable limit lets the datacenter's apply too: the lowest wins
            "migration | fast none | -      | migration=500              | -        | 500",
            "migration | restore   | -      | default=800                | -        | 800",
            "restore   | restore   | -      | default=800                | -        | 500",
            "migration | slow fast | -      | -                          | -        | 1000",
            "migration | slow slow | 5000   | -                          | -        | 1000",
            // who may exceed which limit
            "migration | slow      | 5000   | -                          | all      | 5000",
            "migration | slow      | 5000   | -                          | slow     | 5000",
            "migration | slow fast | 200000 | -                          | slow     | 100000",
            "migration | none      | 5000   | migration=500              | -        | 500",
            "migration | none      | 5000   | migration=500              | none     | 5000",
            "migration | none      | 5000   | migration=500              | none sys | 5000",
            "migration | slow      | -      | -                          | all sys  | 1000"})
    void resolution(String operation, String storages, Long override, String datacenter, String rights, Long expected) {
        List<String> s = storages == null ? List.of() : Arrays.asList(storages.split(" "));
        assertThat(BandwidthLimit.resolve(operation, s, override, STORAGES::get, datacenter, rights(rights))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "keyboard: en-us\\nbwlimit: migration=100,default=5\\n|migration=100,default=5",
            "keyboard: en-us\\n|-"})
    void datacenterLine(String cfg, String expected) {
        assertThat(BandwidthLimit.datacenter(cfg.replace("\\n", "\n"))).isEqualTo(expected);
    }
}
