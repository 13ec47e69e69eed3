package org.haven.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.haven.core.schema.ParamException;
import org.junit.jupiter.api.Test;

/** The selection options ({@code vmid}, {@code all}, {@code pool}, {@code exclude}), {@code stdout} and {@code script}, as PVE checks them. */
class VzdumpOptionsTest {
    @Test
    void refusalsTable() {
        Object[][] cases = {
                {Map.of(), "vmid", "property is missing and it is not optional"},
                {Map.of("vmid", "100", "all", "1"), "vmid", "option conflicts with option 'all'"},
                {Map.of("vmid", "100", "pool", "prod"), "pool", "option conflicts with option 'vmid'"},
                {Map.of("all", "1", "pool", "prod"), "pool", "option conflicts with option 'all'"},
                {Map.of("vmid", "100", "exclude", "101"), "exclude", "option only makes sense in combination with option 'all'"},
                {Map.of("vmid", "100,101", "stdout", "1"), "stdout", "you can only backup a single VM with option --stdout"},
                {Map.of("all", "1", "stdout", "1"), "stdout", "you can only backup a single VM with option --stdout"},
                {Map.of("pool", "prod", "stdout", "1"), "stdout", "you can only backup a single VM with option --stdout"},
        };
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked") Map<String, String> p = (Map<String, String>) c[0];
            assertThatThrownBy(() -> VzdumpOptions.of(p, Map.of())).as(p.toString()).isInstanceOfSatisfying(ParamException.class,
                    e -> assertThat(e.errors()).containsEntry((String) c[1], (String) c[2]));
        }
    }

    @Test
    void acceptedTable() {
        VzdumpOptions pool = VzdumpOptions.of(Map.of("pool", "prod", "exclude", "101"), Map.of());
        assertThat(pool.pool()).isEqualTo("prod");
        assertThat(pool.all()).isFalse();
        assertThat(pool.vmids()).isEmpty();
        assertThat(pool.exclude()).containsExactly(101);

        VzdumpOptions one = VzdumpOptions.of(Map.of("vmid", "100", "stdout", "1"), Map.of());
        assertThat(one.stdout()).isTrue();
        assertThat(one.pool()).isNull();
        assertThat(one.script()).isNull();

        // the hook script from vzdump.conf, the call's own over it
        assertThat(VzdumpOptions.of(Map.of("vmid", "100"), VzdumpOptions.parseConf("script: /etc/hook.pl\n")).script()).isEqualTo(Path.of("/etc/hook.pl"));
        assertThat(VzdumpOptions.of(Map.of("vmid", "100", "script", "/root/h.sh"), Map.of("script", "/etc/hook.pl")).script()).isEqualTo(Path.of("/root/h.sh"));
        assertThat(VzdumpOptions.of(Map.of("pool", "prod"), Map.of()).commandLine("n1")).isEqualTo("vzdump --pool prod --node n1");
    }
}
