package org.haven.storage.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.spi.VolumeInfo;
import org.haven.storage.volume.VolumeName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random sequences of alloc, free, rename, template and linked-clone operations on a real dir storage,
 * checked after every step against a model of which volumes must exist (and which operations must be refused).
 */
@RealTest
class DirModelTest {
    static final long MIB = 1024 * 1024;
    @TempDir Path tmp;

    /** What the model knows about a volume: owner, format, base flag, and the base it was cloned from. */
    record Vol(int vmid, String format, boolean base, String parent) {}

    @AfterEach
    void cleanup() { TestSupport.deleteTree(tmp.resolve("vz")); }

    static void freeOne(StorageManager sm, TreeMap<String, Vol> model, String pick, int[] done) {
        boolean hasClones = model.values().stream().anyMatch(x -> pick.equals(x.parent()));
        if (hasClones) {
            try {
                sm.free(pick);
                throw new AssertionError("free of a base with clones succeeded: " + pick);
            } catch (StorageException e) {
                assertThat(e.getMessage()).contains("is still in use by linked clones");
                done[2]++;
            }
        } else {
            sm.free(pick);
            model.remove(pick);
            done[1]++;
        }
    }

    @Test
    void randomOperationSequencesMatchTheModel() {
        LocalClusterFs cfs = TestSupport.cfs(tmp.resolve("cfs"), "n1");
        StorageManager sm = new StorageManager(cfs, "n1", tmp.resolve("vz"), new ProcessCommandRunner());
        Random r = new Random(0x5eed);
        TreeMap<String, Vol> model = new TreeMap<>();
        int[] vmids = {100, 101, 102};
        int[] done = new int[7]; // alloc, free, refused free, template, clone, rename
        for (int step = 0; step < 60; step++) {
            int op = r.nextInt(6);
            List<String> vols = new ArrayList<>(model.keySet());
            String pick = vols.isEmpty() ? null : vols.get(r.nextInt(vols.size()));
            switch (op) {
                case 0, 1 -> {
                    int vmid = vmids[r.nextInt(vmids.length)];
                    String fmt = r.nextBoolean() ? "raw" : "qcow2";
                    String v = sm.alloc("local", vmid, fmt, null, MIB);
                    assertThat(model).doesNotContainKey(v);
                    model.put(v, new Vol(vmid, fmt, false, null));
                    done[0]++;
                }
                case 2 -> {
                    if (pick == null) break;
                    // half of the time aim at a base that still has clones
                    List<String> used = model.keySet().stream().filter(k -> model.values().stream().anyMatch(x -> k.equals(x.parent()))).toList();
                    String target = !used.isEmpty() && r.nextBoolean() ? used.get(r.nextInt(used.size())) : pick;
                    freeOne(sm, model, target, done);
                }
                case 3 -> {
                    if (pick == null || model.get(pick).base()) break;
                    String base = sm.createBase(pick);
                    Vol m = model.remove(pick);
                    VolumeName vn = sm.parseVolname(base);
                    assertThat(vn.isBase()).isTrue();
                    model.put(base, new Vol(m.vmid(), m.format(), true, m.parent()));
                    done[3]++;
                }
                case 4 -> {
                    List<String> bases = model.entrySet().stream().filter(e -> e.getValue().base()).map(e -> e.getKey()).toList();
                    if (bases.isEmpty()) break;
                    String base = bases.get(r.nextInt(bases.size()));
                    int vmid = vmids[r.nextInt(vmids.length)];
                    String clone = sm.cloneImage(base, vmid, null);
                    VolumeName vn = sm.parseVolname(clone);
                    assertThat(vn.isLinkedClone()).isTrue();
                    VolumeName bvn = sm.parseVolname(base);
                    assertThat(vn.baseVmid() + "/" + vn.baseName()).isEqualTo(bvn.vmid() + "/" + bvn.name());
                    assertThat(TestSupport.holds(sm.path(clone), "qcow2", 0, 0, MIB)).isTrue();
                    model.put(clone, new Vol(vmid, "qcow2", false, base));
                    done[4]++;
                }
                default -> {
                    if (pick == null || model.get(pick).base()) break;
                    int vmid = vmids[r.nextInt(vmids.length)];
                    String moved = sm.rename(pick, vmid, null);
                    Vol m = model.remove(pick);
                    assertThat(sm.owner(moved)).contains(vmid);
                    model.put(moved, new Vol(vmid, m.format(), false, m.parent()));
                    done[5]++;
                }
            }
            List<VolumeInfo> listed = sm.list("local", null, Set.of(ContentType.IMAGES));
            assertThat(listed).extracting(VolumeInfo::volid).as("step %d", step).containsExactlyInAnyOrderElementsOf(model.keySet());
            for (VolumeInfo i : listed) {
                Vol m = model.get(i.volid());
                assertThat(i.vmid()).isEqualTo(m.vmid());
                assertThat(i.format()).isEqualTo(m.format());
                assertThat(i.size()).isEqualTo(MIB);
            }
        }
        // every kind of operation happened
        for (int k = 0; k < 6; k++) assertThat(done[k]).as("operation %d", k).isPositive();
    }
}
