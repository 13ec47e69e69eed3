package org.haven.guest.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.haven.guest.config.GuestException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

/** The pure parts of migrateall: the number of workers and which VMs are skipped, as tables. */
class MigrateAllTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "4 | -                                   | 4",
            "2 | max_workers: 8\\n                   | 2",
            "- | keyboard: de\\nmax_workers: 8\\n    | 8",
            "0 | max_workers: 3                      | 3"})
    void workers(Long requested, String dc, int expected) {
        assertThat(MigrateAll.maxWorkers(requested, dc == null ? null : dc.replace("\\n", "\n"))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {"-", "keyboard: de", "max_workers: x", "max_workers: 0"})
    void workersMustBeSet(String dc) {
        assertThatThrownBy(() -> MigrateAll.maxWorkers(null, dc)).isInstanceOf(GuestException.class)
                .hasMessage("either 'maxworkers' parameter or max_workers in datacenter.cfg must be set!");
    }

    @ParameterizedTest(name = "{0} with-local-disks={1}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "{`running`:0,`local_disks`:[],`local_resources`:[]}                                        | false | -",
            "{`running`:0,`local_disks`:[{`volid`:`local:100/vm-100-disk-0.raw`}],`local_resources`:[]}  | false | -",
            "{`running`:1,`local_disks`:[{`volid`:`local:100/vm-100-disk-0.raw`}],`local_resources`:[]}  | true  | -",
            "{`running`:1,`local_disks`:[{`volid`:`local:100/a.raw`},{`volid`:`local:100/b.raw`}],`local_resources`:[]} | false | '\\n  Has local disks: local:100/a.raw, local:100/b.raw'",
            "{`running`:0,`local_disks`:[],`local_resources`:[`hostpci0`,`usb1`]}                        | true  | '\\n  Has local resources: hostpci0, usb1'",
            "{`running`:1,`local_disks`:[{`volid`:`l:1`}],`local_resources`:[`serial1`]}                  | false | '\\n  Has local disks: l:1\\n  Has local resources: serial1'"})
    void skippedVms(String precondition, boolean withLocalDisks, String expected) {
        var pre = JsonMapper.builder().build().readTree(precondition.replace('`', '"'));
        assertThat(MigrateAll.invalidConditions(pre, withLocalDisks)).isEqualTo(expected == null ? null : expected.replace("\\n", "\n"));
    }
}
