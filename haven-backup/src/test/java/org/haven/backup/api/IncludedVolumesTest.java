package org.haven.backup.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.haven.api.ApiException;
import org.haven.backup.BackupFixture;
import org.haven.backup.jobs.BackupJobs;
import org.haven.core.format.SectionConfig;
import org.haven.core.time.Clock;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.lxc.LxcService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /cluster/backup/{id}/included_volumes}: a job's guests of both types with their volumes, as PVE's tree. */
class IncludedVolumesTest {
    @TempDir Path dir;

    @Test
    void aJobsGuestsWithTheirVolumes() throws Exception {
        try (BackupFixture f = new BackupFixture(dir)) {
            LxcService lxc = LxcService.create(GuestConfigStore.lxc(f.cfs), f.sm, dir.resolve("lxc"), Clock.SYSTEM, List.of());
            f.qemu.store().create(100, GuestConfig.parse("name: web\nvirtio0: src:100/vm-100-disk-0.raw,size=1G\nide2: none,media=cdrom\n"
                    + "scsi1: src:100/vm-100-disk-1.raw,backup=0,size=1G\nefidisk0: src:100/vm-100-disk-2.raw,size=1M\n"));
            lxc.store().create(200, GuestConfig.parse("hostname: ct\nrootfs: src:200/vm-200-disk-0.raw,size=1G\n"
                    + "mp0: src:200/vm-200-disk-1.raw,mp=/data,backup=1\nmp1: src:200/vm-200-disk-2.raw,mp=/tmp2\nmp2: /srv,mp=/srv\n"));
            lxc.store().create(201, GuestConfig.parse("hostname: other\nrootfs: src:201/vm-201-disk-0.raw,size=1G\n"));
            BackupJobs jobs = new BackupJobs(f.cfs);
            jobs.modify(doc -> {
                SectionConfig.Section s = new SectionConfig.Section(BackupJobs.TYPE, "backup-a");
                s.set("schedule", "daily");
                s.set("vmid", "200,100");
                doc.add(s);
                return null;
            });
            BackupInfoApi api = new BackupInfoApi(List.of(f.qemu.guests(), lxc.guests()), () -> f.sm, Map::of, jobs);

            assertThat(api.includedVolumes("backup-a")).isEqualTo(Map.of("children", List.of(
                    Map.of("id", 100, "type", "qemu", "name", "web", "leaf", 0, "children", List.of(
                            Map.of("id", "scsi1", "name", "src:100/vm-100-disk-1.raw", "included", 0, "reason", "backup=no", "leaf", 1),
                            Map.of("id", "virtio0", "name", "src:100/vm-100-disk-0.raw", "included", 1, "reason", "backup=yes", "leaf", 1),
                            Map.of("id", "efidisk0", "name", "src:100/vm-100-disk-2.raw", "included", 0, "reason", "efidisk but no OMVF BIOS", "leaf", 1))),
                    Map.of("id", 200, "type", "lxc", "name", "ct", "leaf", 0, "children", List.of(
                            Map.of("id", "rootfs", "name", "src:200/vm-200-disk-0.raw", "included", 1, "reason", "rootfs", "leaf", 1),
                            Map.of("id", "mp0", "name", "src:200/vm-200-disk-1.raw", "included", 1, "reason", "enabled", "leaf", 1),
                            Map.of("id", "mp1", "name", "src:200/vm-200-disk-2.raw", "included", 0, "reason", "disabled", "leaf", 1),
                            Map.of("id", "mp2", "name", "/srv", "included", 0, "reason", "not a volume", "leaf", 1))))));
            assertThatThrownBy(() -> api.includedVolumes("nope")).isInstanceOf(ApiException.class).hasMessage("Job 'nope' does not exist");
        }
    }
}
