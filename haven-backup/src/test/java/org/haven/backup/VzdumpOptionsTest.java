package org.haven.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

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

    @Test
    void aNonIntegerValueIsATypeError() {
        ParamException e = catchThrowableOfType(ParamException.class,
                () -> VzdumpOptions.of(Map.of("all", "1"), VzdumpOptions.parseConf("ionice: 7x\nzstd: 99999999999\n")));
        assertThat(e.errors()).containsEntry("ionice", "type check ('integer') failed - got '7x'")
                .containsEntry("zstd", "type check ('integer') failed - got '99999999999'");
    }

    @Test
    void aPathWithANulIsRefused() {
        ParamException e = catchThrowableOfType(ParamException.class,
                () -> VzdumpOptions.of(Map.of("all", "1"), Map.of("dumpdir", "/srv/\0x", "tmpdir", "/t\0")));
        assertThat(e.errors()).containsKeys("dumpdir", "tmpdir");
    }

    @Test
    void validValuesAreRead() {
        VzdumpOptions o = VzdumpOptions.of(Map.of("all", "1"), VzdumpOptions.parseConf("ionice: 5\nzstd: 2\ntmpdir: /var/tmp\n"));
        assertThat(o.ionice()).isEqualTo(5);
        assertThat(o.zstd()).isEqualTo(2);
    }
}
