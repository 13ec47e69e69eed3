package org.haven.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.haven.backup.vma.ArchiveCheck;
import org.haven.core.testing.RealTest;
import org.haven.guest.GuestBackups;
import org.haven.guest.config.GuestConfig;
import org.haven.qemu.run.Proc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vzdump and restore of a stopped VM on dir storages (raw and qcow2 disks, zstd and gzip): archive names, logs,
 * the archive checked by the test-side reader against the disks, restore to another VMID and storage, refusals
 * (existing VM without force, corrupt archive) that leave nothing behind, retention, bandwidth limits and a failing backup.
 */
@RealTest
class VzdumpRestoreTest {
    @TempDir Path dir;
    BackupFixture f;
    final int vmid = 100;
    byte[] rawDisk;

    @BeforeEach
    void setUp() throws Exception {
        f = new BackupFixture(dir);
        f.vmids.add(vmid);
        f.qemu.create(vmid, Map.of("memory", "128", "name", "src-vm", "virtio0", "src:0.0078125,format=raw",
                "scsi1", "src:0.00390625,format=qcow2", "ide2", "none,media=cdrom", "net0", "virtio=BC:24:11:00:00:01,bridge=vmbr0"), s -> {});
        GuestConfig cfg = f.qemu.store().load(vmid);
        // a known pattern: random blocks, zero blocks and a zero tail
        rawDisk = new byte[8 << 20];
        Random r = new Random(100);
        for (int off = 0; off < (6 << 20); off += 4096) if (r.nextInt(3) > 0) for (int i = 0; i < 4096; i++) rawDisk[off + i] = (byte) r.nextInt(256);
        Path raw = Path.of(f.qemu.guests().volumes().resolve(volume(cfg, "virtio0")).path());
        Files.write(raw, rawDisk);
        Path qcow = Path.of(f.qemu.guests().volumes().resolve(volume(cfg, "scsi1")).path());
        Proc.Result w = Proc.run(List.of("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 1M 512k", qcow.toString()), Duration.ofMinutes(1));
        assertThat(w.ok()).as(w.output()).isTrue();
    }

    @AfterEach
    void tearDown() { if (f != null) f.close(); }

    static String volume(GuestConfig cfg, String key) { return cfg.get(key).orElseThrow().split(",")[0]; }

    @Test
    void stopModeBackupRestoresToAnotherVmidAndStorage() throws Exception {
        List<String> log = f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk", "compress", "zstd"), new ArrayList<>());
        assertThat(log.get(0)).isEqualTo("INFO: starting new backup job: vzdump 100 --compress zstd --mode stop --storage bk --node node1");
        assertThat(log).contains("INFO: Starting Backup of VM 100 (qemu)", "INFO: status = stopped", "INFO: backup mode: stop",
                "INFO: VM Name: src-vm", "INFO: include disk 'scsi1' 'src:100/vm-100-disk-0.qcow2' 4M",
                "INFO: include disk 'virtio0' 'src:100/vm-100-disk-1.raw' 8M", "INFO: Backup job finished successfully");
        assertThat(log).anyMatch(l -> l.matches("INFO: 100% \\(12\\.00 MiB of 12\\.00 MiB\\) in \\d+s, read: .*"));
        assertThat(log).anyMatch(l -> l.startsWith("INFO: transferred 12.00 MiB in "));
        List<Path> archives = f.archives();
        assertThat(archives).hasSize(1);
        Path archive = archives.get(0);
        assertThat(archive.getFileName().toString()).isEqualTo("vzdump-qemu-100-2026_05_28-20_26_40.vma.zst");
        assertThat(log).contains("INFO: creating vzdump archive '" + archive + "'");
        Path logFile = archive.resolveSibling("vzdump-qemu-100-2026_05_28-20_26_40.log");
        assertThat(Files.readString(logFile)).contains("2026-05-28 20:26:40 INFO: Starting Backup of VM 100 (qemu)").doesNotContain("starting new backup job");
        try (var s = Files.list(archive.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".dat"));
        }
        assertThat(f.qemu.store().load(vmid).lock()).isEmpty();

        // the archive, read by the test-side reader: configs, both disks equal to the sources
        ArchiveCheck a = BackupFixture.check(archive);
        String conf = new String(a.configs.get("qemu-server.conf"), StandardCharsets.UTF_8);
        assertThat(conf).startsWith("#qmdump#map:scsi1:drive-scsi1:src:qcow2:\n#qmdump#map:virtio0:drive-virtio0:src:raw:\n")
                .contains("name: src-vm").doesNotContain("lock:");
        assertThat(a.disks.keySet()).containsExactly("drive-scsi1", "drive-virtio0");
        GuestConfig src = f.qemu.store().load(vmid);
        assertThat(a.disks.get("drive-virtio0")).isEqualTo(rawDisk);
        assertThat(a.disks.get("drive-scsi1")).isEqualTo(f.content(volume(src, "scsi1")));

        // restore to another VMID on another storage, with new MACs
        List<String> rlog = new ArrayList<>();
        f.restore("bk:backup/" + archive.getFileName(), 201, new GuestBackups.RestoreOptions("dst", true, false), rlog);
        GuestConfig restored = f.qemu.store().load(201);
        assertThat(restored.lock()).isEmpty();
        assertThat(volume(restored, "virtio0")).isEqualTo("dst:201/vm-201-disk-1.raw");
        assertThat(volume(restored, "scsi1")).isEqualTo("dst:201/vm-201-disk-0.raw");
        assertThat(restored.get("name")).contains("src-vm");
        assertThat(restored.get("ide2")).contains("none,media=cdrom");
        assertThat(restored.get("net0").orElseThrow()).doesNotContain("BC:24:11:00:00:01").contains("bridge=vmbr0");
        assertThat(f.content(volume(restored, "virtio0"))).isEqualTo(rawDisk);
        assertThat(f.content(volume(restored, "scsi1"))).isEqualTo(f.content(volume(src, "scsi1")));
        assertThat(rlog).contains("DEV: dev_id=1 size: 4194304 devname: drive-scsi1", "CFG: size: " + a.configs.get("qemu-server.conf").length + " name: qemu-server.conf");

        // an existing VM is not overwritten without force; with force it is
        assertThatThrownBy(() -> f.restore(archive.toString(), 201, new GuestBackups.RestoreOptions("dst", false, false), new ArrayList<>()))
                .hasMessageContaining("201").hasMessageContaining("already exists");
        assertThat(f.qemu.store().load(201).digest()).isEqualTo(restored.digest());
        f.restore(archive.toString(), 201, new GuestBackups.RestoreOptions("dst", false, true), new ArrayList<>());
        GuestConfig again = f.qemu.store().load(201);
        assertThat(again.get("net0").orElseThrow()).contains("BC:24:11:00:00:01");
        assertThat(f.content(volume(again, "virtio0"))).isEqualTo(rawDisk);
        try (var s = Files.list(dir.resolve("dst/images/201"))) {
            assertThat(s.count()).as("the replaced VM's disks are gone").isEqualTo(2);
        }
    }

    @Test
    void corruptArchivesAreRefusedAndLeaveNothingBehind() throws Exception {
        f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk", "compress", "gzip"), new ArrayList<>());
        Path archive = f.archives().get(0);
        assertThat(archive.getFileName().toString()).endsWith(".vma.gz");
        // decompress, damage one extent header byte, store uncompressed
        byte[] vma;
        try (var in = Compression.GZIP.readFrom(archive)) {
            vma = in.readAllBytes();
        }
        int header = 12288 + 512;
        Map<String, byte[]> bad = new HashMap<>();
        byte[] flipped = vma.clone();
        flipped[header + 30] ^= 1;
        bad.put("extent", flipped);
        bad.put("truncated", java.util.Arrays.copyOf(vma, vma.length - 5000));
        byte[] magic = vma.clone();
        magic[0] = 'X';
        bad.put("magic", magic);
        Map<String, String> expected = Map.of("extent", "wrong extent header checksum", "truncated", "truncated extent (short read)",
                "magic", "not a vma file - wrong magic");
        for (var e : bad.entrySet()) {
            Path p = dir.resolve("bk/dump/vzdump-qemu-100-2020_01_01-00_00_00.vma");
            Files.write(p, e.getValue());
            assertThatThrownBy(() -> f.restore(p.toString(), 202, new GuestBackups.RestoreOptions("dst", false, false), new ArrayList<>()))
                    .as(e.getKey()).hasMessage("unable to restore VM 202 - " + expected.get(e.getKey()));
            assertThat(f.qemu.store().exists(202)).isFalse();
            assertThat(f.sm.imagesOf(202)).as("the volumes the restore allocated are freed").isEmpty();
        }
        // a forced restore over an existing VM checks the whole archive before it removes the VM
        f.restore(archive.toString(), 202, new GuestBackups.RestoreOptions("dst", false, false), new ArrayList<>());
        GuestConfig existing = f.qemu.store().load(202);
        Path damaged = dir.resolve("bk/dump/vzdump-qemu-100-2020_01_01-00_00_00.vma");
        Files.write(damaged, bad.get("extent"));
        assertThatThrownBy(() -> f.restore(damaged.toString(), 202, new GuestBackups.RestoreOptions("dst", false, true), new ArrayList<>()))
                .hasMessage("unable to restore VM 202 - wrong extent header checksum");
        assertThat(f.qemu.store().load(202).digest()).isEqualTo(existing.digest());
        assertThat(f.content(volume(existing, "virtio0"))).isEqualTo(rawDisk);
        f.qemu.guests().destroy(202, false, s -> {});
        // a damaged compressed file fails as well
        byte[] gz = Files.readAllBytes(archive);
        Path cut = dir.resolve("bk/dump/vzdump-qemu-100-2020_01_01-00_00_01.vma.gz");
        Files.write(cut, java.util.Arrays.copyOf(gz, gz.length / 2));
        assertThatThrownBy(() -> f.restore(cut.toString(), 202, new GuestBackups.RestoreOptions("dst", false, false), new ArrayList<>()))
                .hasMessageStartingWith("unable to restore VM 202 - ");
        assertThat(f.qemu.store().exists(202)).isFalse();
    }

    @Test
    void retentionRunsAfterEachBackup() throws Exception {
        for (int i = 0; i < 4; i++) {
            f.now.addAndGet(3600);
            List<String> log = f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk", "prune-backups", "keep-last=2"), new ArrayList<>());
            if (i >= 2) {
                assertThat(log).contains("INFO: prune older backups with retention: keep-last=2", "INFO: pruned 1 backup(s) not covered by keep-retention policy");
                assertThat(log).anyMatch(l -> l.startsWith("INFO: removing backup 'bk:backup/vzdump-qemu-100-"));
            }
        }
        assertThat(f.archives()).extracting(p -> p.getFileName().toString())
                .containsExactly("vzdump-qemu-100-2026_05_28-23_26_40.vma", "vzdump-qemu-100-2026_05_29-00_26_40.vma");
    }

    @Test
    void aFailedBackupLeavesNoArchiveAndUnlocks() throws Exception {
        GuestConfig cfg = f.qemu.store().load(vmid);
        // the first disk reads fine, the second cannot be read: a directory where the qcow2 file was
        Path qcow = Path.of(f.qemu.guests().volumes().resolve(volume(cfg, "scsi1")).path());
        Files.delete(qcow);
        Files.createDirectory(qcow);
        List<String> log = new ArrayList<>();
        assertThatThrownBy(() -> f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk"), log)).hasMessage("job errors");
        assertThat(log).anyMatch(l -> l.startsWith("ERROR: Backup of VM 100 failed - "));
        assertThat(log).contains("INFO: Backup job finished with errors");
        try (var s = Files.list(dir.resolve("bk/dump"))) {
            assertThat(s.map(p -> p.getFileName().toString())).allMatch(n -> n.endsWith(".log"));
        }
        assertThat(f.qemu.store().load(vmid).lock()).isEmpty();

        List<String> unknown = new ArrayList<>();
        assertThatThrownBy(() -> f.vzdump(Map.of("vmid", "999", "storage", "bk"), unknown)).hasMessage("job errors");
        assertThat(unknown).contains("ERROR: Backup of VM 999 failed - unable to find VM 999");
    }

    /** A hook script that records its arguments and variables, and fails in the phase {@code $FAIL_PHASE} names. */
    Path hook() throws java.io.IOException {
        Path script = dir.resolve("hook.sh");
        Files.writeString(script, "#!/bin/sh\necho \"$*|$STOREID|$DUMPDIR|$VMTYPE|$HOSTNAME|$TARGET|$LOGFILE\" >> " + dir.resolve("phases")
                + "\necho \"hook $1\"\n[ \"$1\" = \"$(cat " + dir.resolve("fail") + " 2>/dev/null)\" ] && exit 2\nexit 0\n");
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void hookScriptPhasesExcludedDisksAndPools() throws Exception {
        f.qemu.store().update(vmid, c -> { c.set("scsi1", c.get("scsi1").orElseThrow() + ",backup=0"); return null; });
        String scsi1 = volume(f.qemu.store().load(vmid), "scsi1");
        Path script = hook();
        f.cfs.writeString("user.cfg", "pool:prod::100,555::\n");
        List<String> log = f.vzdump(Map.of("pool", "prod", "mode", "stop", "storage", "bk", "script", script.toString()), new ArrayList<>());
        assertThat(log).contains("INFO: exclude disk 'scsi1' '" + scsi1 + "' (backup=no)", "INFO: hook job-start", "INFO: hook backup-end",
                "INFO: Backup job finished successfully");
        Path archive = f.archives().get(0);
        assertThat(BackupFixture.check(archive).disks.keySet()).containsExactly("drive-virtio0");
        String dump = dir.resolve("bk/dump").toString();
        String target = archive.toString(), logFile = archive.toString().replaceFirst("\\.vma$", ".log");
        String guest = "|bk|" + dump + "|qemu|src-vm|" + target + "|" + logFile;
        assertThat(Files.readAllLines(dir.resolve("phases"))).containsExactly("job-init|bk|" + dump + "||||", "job-start|bk|" + dump + "||||",
                "backup-start stop 100" + guest, "backup-end stop 100" + guest, "log-end stop 100" + guest, "job-end|bk|" + dump + "||||");
        assertThat(Files.readString(Path.of(logFile))).contains("INFO: hook backup-start");

        // a failing backup-start aborts this guest's backup: no archive, unlocked, backup-abort and log-end still run
        f.now.addAndGet(60);
        Files.delete(dir.resolve("phases"));
        Files.writeString(dir.resolve("fail"), "backup-start");
        List<String> failed = new ArrayList<>();
        assertThatThrownBy(() -> f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk", "script", script.toString()), failed)).hasMessage("job errors");
        assertThat(failed).contains("ERROR: Backup of VM 100 failed - command '" + script + " backup-start stop 100' failed: exit code 2",
                "INFO: Backup job finished with errors");
        assertThat(Files.readAllLines(dir.resolve("phases"))).extracting(l -> l.substring(0, l.indexOf('|')))
                .containsExactly("job-init", "job-start", "backup-start stop 100", "backup-abort stop 100", "log-end stop 100", "job-end");
        assertThat(f.archives()).containsExactly(archive);
        assertThat(f.qemu.store().load(vmid).lock()).isEmpty();

        // a failing job-start aborts the job before any guest (job-abort)
        Files.delete(dir.resolve("phases"));
        Files.writeString(dir.resolve("fail"), "job-start");
        List<String> aborted = new ArrayList<>();
        assertThatThrownBy(() -> f.vzdump(Map.of("vmid", "100", "storage", "bk", "script", script.toString()), aborted))
                .hasMessage("command '" + script + " job-start' failed: exit code 2");
        assertThat(aborted).contains("ERROR: Backup job failed - command '" + script + " job-start' failed: exit code 2");
        assertThat(Files.readAllLines(dir.resolve("phases"))).extracting(l -> l.substring(0, l.indexOf('|')))
                .containsExactly("job-init", "job-start", "job-abort");
        assertThat(f.archives()).containsExactly(archive);
    }

    @Test
    void restoreAppliesTheBandwidthLimitOfItsStorages() throws Exception {
        f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk"), new ArrayList<>());
        String archive = f.archives().get(0).toString();
        // datacenter.cfg alone: its restore limit
        f.cfs.writeString("datacenter.cfg", "bwlimit: default=4096,restore=40960\n");
        List<String> dc = new ArrayList<>();
        f.restore(archive, 203, new GuestBackups.RestoreOptions("dst", false, false), dc);
        assertThat(dc).contains("restore bandwidth limited to 40960 KiB/s");
        assertThat(f.content(volume(f.qemu.store().load(203), "virtio0"))).isEqualTo(rawDisk);
        // the target storage's own limit takes precedence over the datacenter's
        f.cfs.writeString("storage.cfg", f.cfs.readString("storage.cfg").orElseThrow().replace("path " + dir.resolve("dst") + "\n",
                "path " + dir.resolve("dst") + "\n\tbwlimit default=65536\n"));
        List<String> st = new ArrayList<>();
        f.restore(archive, 204, new GuestBackups.RestoreOptions("dst", false, false), st);
        assertThat(st).contains("restore bandwidth limited to 65536 KiB/s");
        // a lower requested limit wins; 0 (none) lifts the limits only for a user who may change them
        List<String> low = new ArrayList<>();
        f.restore(archive, 205, new GuestBackups.RestoreOptions("dst", false, false, Map.of(), 30000L,
                org.haven.guest.migrate.BandwidthLimit.Rights.NONE), low);
        assertThat(low).contains("restore bandwidth limited to 30000 KiB/s");
        List<String> user = new ArrayList<>();
        f.restore(archive, 207, new GuestBackups.RestoreOptions("dst", false, false, Map.of(), 0L,
                org.haven.guest.migrate.BandwidthLimit.Rights.NONE), user);
        assertThat(user).contains("restore bandwidth limited to 65536 KiB/s");
        List<String> root = new ArrayList<>();
        f.restore(archive, 206, new GuestBackups.RestoreOptions("dst", false, false, Map.of(), 0L, null), root);
        assertThat(root).noneMatch(l -> l.startsWith("restore bandwidth limited"));
        assertThat(f.content(volume(f.qemu.store().load(206), "virtio0"))).isEqualTo(rawDisk);
    }

    @Test
    void backupAppliesTheBandwidthLimitOfItsStorage() throws Exception {
        // none configured: no limit
        assertThat(f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk"), new ArrayList<>())).noneMatch(l -> l.contains("bandwidth limit"));
        // datacenter.cfg's default limit (there is no backup= key: default= applies)
        f.cfs.writeString("datacenter.cfg", "bwlimit: default=204800,restore=4096\n");
        f.now.addAndGet(60);
        List<String> dc = f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk", "compress", "zstd"), new ArrayList<>());
        assertThat(dc).contains("INFO: bandwidth limit: 204800 KiB/s");
        Path archive = f.archives().get(f.archives().size() - 1);
        assertThat(archive.getFileName().toString()).endsWith(".vma.zst");
        assertThat(BackupFixture.check(archive).disks.get("drive-virtio0")).isEqualTo(rawDisk);
        // the backup storage's own limit takes precedence over the datacenter's
        f.cfs.writeString("storage.cfg", f.cfs.readString("storage.cfg").orElseThrow().replace("path " + dir.resolve("bk") + "\n",
                "path " + dir.resolve("bk") + "\n\tbwlimit default=307200\n"));
        f.now.addAndGet(60);
        assertThat(f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk"), new ArrayList<>())).contains("INFO: bandwidth limit: 307200 KiB/s");
        // a lower requested limit wins
        f.now.addAndGet(60);
        assertThat(f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk", "bwlimit", "102400"), new ArrayList<>()))
                .contains("INFO: starting new backup job: vzdump 100 --bwlimit 102400 --mode stop --storage bk --node node1",
                        "INFO: bandwidth limit: 102400 KiB/s");
        assertThat(BackupFixture.check(f.archives().get(f.archives().size() - 1)).disks.get("drive-virtio0")).isEqualTo(rawDisk);
    }

    @Test
    void optionsAreCheckedAsPveChecksThem() {
        assertThatThrownBy(() -> VzdumpOptions.of(Map.of(), Map.of())).hasMessageContaining("vmid");
        assertThatThrownBy(() -> VzdumpOptions.of(Map.of("vmid", "100", "all", "1"), Map.of())).hasMessageContaining("conflicts");
        assertThatThrownBy(() -> VzdumpOptions.of(Map.of("vmid", "100", "compress", "bzip"), Map.of())).hasMessageContaining("compress");
        VzdumpOptions o = VzdumpOptions.of(Map.of("vmid", "100"), VzdumpOptions.parseConf("# defaults\ncompress: zstd\nmode: stop\nstorage: bk\n"));
        assertThat(o.compression()).isEqualTo(Compression.ZSTD);
        assertThat(o.mode()).isEqualTo("stop");
        assertThat(o.storage()).isEqualTo("bk");
        assertThat(VzdumpOptions.of(Map.of("vmid", "100", "dumpdir", "/x"), Map.of("storage", "bk")).storage()).isNull();
        assertThat(VzdumpOptions.of(Map.of("vmid", "100"), Map.of()).storage()).isEqualTo("local");
        assertThatThrownBy(() -> VzdumpOptions.parseConf("bogus: 1\n")).hasMessageContaining("bogus");
    }
}
