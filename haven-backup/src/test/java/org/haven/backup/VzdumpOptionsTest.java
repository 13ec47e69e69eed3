package org.haven.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Map;
import org.haven.core.schema.ParamException;
import org.junit.jupiter.api.Test;

/** Bad values in {@code vzdump.conf} (or a job) are parameter errors naming the option, as PVE's schema check reports them. */
class VzdumpOptionsTest {
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
