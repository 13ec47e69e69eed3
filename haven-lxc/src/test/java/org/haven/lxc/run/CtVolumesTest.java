package org.haven.lxc.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.haven.guest.GuestVolumes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CtVolumesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // new volume | is one | size as the config writes it
        "local:8 | true | 8G",
        "local:0.05 | true | 51M",
        "local:0.1 | true | 102M",
        "bt:1.5 | true | 1536M",
        "local-lvm:0 | true | 0",
    })
    void newVolumeSizes(String spec, boolean isNew, String size) {
        assertThat(CtVolumes.isNewVolume(spec)).isEqualTo(isNew);
        assertThat(GuestVolumes.formatSize(CtVolumes.bytes(spec))).isEqualTo(size);
    }

    @ParameterizedTest
    @CsvSource({"local:100/vm-100-disk-0.raw", "/srv/data", "local:abc", "8"})
    void existingVolumesAreNotAllocated(String volume) {
        assertThat(CtVolumes.isNewVolume(volume)).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"0-3 | 0,1,2,3", "0,2-3 | 0,2,3", "5 | 5"})
    void hostCpuLists(String list, String cpus) {
        assertThat(HostProbe.cpus(list)).map(String::valueOf).containsExactly(cpus.split(","));
    }

    @Test
    void mountPathsBelowARootNeverThroughASymlink(@TempDir Path root) throws Exception {
        assertThat(CtVolumes.below(root, "/srv/data/")).isEqualTo(root.resolve("srv/data")).isDirectory();
        assertThat(CtVolumes.below(root, "/srv//data")).isEqualTo(root.resolve("srv/data"));
        Files.createSymbolicLink(root.resolve("out"), Path.of("/etc"));
        assertThatThrownBy(() -> CtVolumes.below(root, "/out/x")).hasMessage("mount path '/out/x' leads through a symbolic link");
        assertThatThrownBy(() -> CtVolumes.below(root, "/srv/../../x")).hasMessage("invalid mount path '/srv/../../x'");
        assertThat(Path.of("/etc/x")).doesNotExist();
    }
}
