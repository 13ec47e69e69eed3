package org.haven.lxc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

import org.haven.guest.config.GuestException;
import org.haven.guest.migrate.GuestReplication;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code pct set} of a replicated container: a new mount point on a storage that cannot replicate is refused with
 * PVE's message, unless it is marked {@code replicate=0}; the check is the one VMs use, and a bind or device mount
 * point gets the container's words (PVE's {@code update_vm} of containers), not a VM's "non-managed/pass-through".
 */
@Tag("unit")
class ReplicatedMountPointTest {

    /** Replication of container 100 to a node; only storage {@code zfs} can replicate. */
    static final class Replicated implements GuestReplication {
        final List<String> checked = new ArrayList<>();

        @Override public Set<String> syncBeforeMigration(int vmid, String target, Consumer<String> log) { return Set.of(); }
        @Override public void afterMigration(int vmid, String source, String target, Consumer<String> log) { }
        @Override public Optional<Replica> replica(int vmid, String node) { return Optional.empty(); }

        @Override
        public void checkVolume(int vmid, String volume) {
            checked.add(volume);
            if (vmid != 100 || volume.startsWith("zfs:")) return;
            // the replication module's words, which are a VM's for a path
            throw new IllegalArgumentException(volume.startsWith("/") ? "cannot add non-managed/pass-through volume to a replicated VM"
                    : "cannot add non-replicatable volume to a replicated VM");
        }
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "mp0    | local:8,mp=/data                 | local:8                    | cannot add non-replicatable volume to a replicated VM",
        "mp1    | local:100/vm-100-disk-1.raw,mp=/b | local:100/vm-100-disk-1.raw | cannot add non-replicatable volume to a replicated VM",
        "mp0    | local:8,mp=/data,replicate=0     | -                          | -",
        "mp0    | zfs:8,mp=/data                   | zfs:8                      | -",
        "rootfs | local:4                          | local:4                    | cannot add non-replicatable volume to a replicated VM",
        "net0   | name=eth0,bridge=vmbr0           | -                          | -",
        "mp2    | /srv/share,mp=/share             | /srv/share                 | cannot add non-replicatable volume to a replicated VM",
        "mp3    | /dev/sdb1,mp=/disk               | /dev/sdb1                  | cannot add non-replicatable volume to a replicated VM",
        "mp2    | /srv/share,mp=/share,replicate=0 | -                          | -",
    })
    void aReplicatedContainerRefusesVolumesItCannotReplicate(String key, String value, String checked, String error) {
        Replicated r = new Replicated();
        if (error == null) {
            GuestReplication.checkNewVolume(Optional.of(r), LxcVolumeKeys.INSTANCE, 100, key, value);
        } else {
            assertThatThrownBy(() -> GuestReplication.checkNewVolume(Optional.of(r), LxcVolumeKeys.INSTANCE, 100, key, value))
                    .isInstanceOf(GuestException.class).hasMessage(error);
        }
        assertThat(r.checked).isEqualTo(checked == null ? List.of() : List.of(checked));
        // without replication on the node nothing is checked
        GuestReplication.checkNewVolume(Optional.empty(), LxcVolumeKeys.INSTANCE, 100, key, value);
    }
}
