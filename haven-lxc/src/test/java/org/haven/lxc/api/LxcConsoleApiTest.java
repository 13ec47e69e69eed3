package org.haven.lxc.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LxcConsoleApiTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "-       | -  | lxc-console -P /l -n 100",
            "tty     | -  | lxc-console -P /l -n 100",
            "tty     | ^b | lxc-console -P /l -n 100 -e ^b",
            "console | -  | lxc-console -P /l -n 100 -t 0",
            "console | a  | lxc-console -P /l -n 100 -t 0 -e a",
            "shell   | a  | lxc-attach -P /l --clear-env -n 100"})
    void consoleCommandByMode(String cmode, String escape, String expected) {
        assertThat(String.join(" ", LxcConsoleApi.consoleCommand(Path.of("/l"), 100, cmode, escape))).isEqualTo(expected);
    }

    @Test
    void unknownModeIsRefused() {
        assertThatThrownBy(() -> LxcConsoleApi.consoleCommand(Path.of("/l"), 100, "serial", null)).hasMessage("unknown console mode 'serial'");
    }
}
