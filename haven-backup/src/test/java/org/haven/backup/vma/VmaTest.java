package org.haven.backup.vma;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The VMA writer checked by the test-side reader, and the archive reader's refusals of corrupt archives. */
@Tag("unit")
class VmaTest {
    static final byte[] CONF = "boot: order=scsi0\nmemory: 128\nscsi0: local:100/vm-100-disk-0.raw,size=1M\n".getBytes(StandardCharsets.UTF_8);

    /** A disk with data blocks, zero blocks, whole zero clusters and a partial last cluster. */
    static byte[] disk(Random r, int size) {
        byte[] d = new byte[size];
        for (int off = 0; off < size; off += 4096) {
            int kind = r.nextInt(4);
            if (kind == 0) continue; // zero block
            if (off / 65536 % 5 == 3) continue; // whole zero clusters
            for (int i = off; i < Math.min(size, off + 4096); i++) d[i] = (byte) r.nextInt(256);
            if (kind == 1 && off + 4096 <= size) d[off + 4095] = 0; // data block ending in a zero byte
        }
        return d;
    }

    static byte[] archive(UUID uuid, List<Vma.Config> configs, Map<Vma.Device, byte[]> disks) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VmaWriter w = new VmaWriter(out, uuid, 1_700_000_000L, configs, new ArrayList<>(disks.keySet()));
        for (Map.Entry<Vma.Device, byte[]> e : disks.entrySet()) {
            long[] last = {-1};
            w.writeDevice(e.getKey().id(), new ByteArrayInputStream(e.getValue()), n -> last[0] = n);
            assertThat(last[0]).isEqualTo(e.getValue().length);
        }
        w.finish();
        assertThat(w.bytesWritten()).isEqualTo(out.size());
        return out.toByteArray();
    }

    @Test
    void writtenArchivesReadBackExactly() throws IOException {
        Random r = new Random(13);
        for (int round = 0; round < 12; round++) {
            Map<Vma.Device, byte[]> disks = new java.util.LinkedHashMap<>();
            int n = 1 + r.nextInt(3);
            for (int i = 0; i < n; i++) {
                int size = switch (r.nextInt(3)) {
                    case 0 -> 65536 * (1 + r.nextInt(130));
                    case 1 -> 512 * (1 + r.nextInt(20000));
                    default -> 1 + r.nextInt(300000);
                };
                disks.put(new Vma.Device(i + 1 + r.nextInt(3) * 10, "drive-scsi" + i, size), disk(r, size));
            }
            List<Vma.Config> configs = List.of(new Vma.Config("qemu-server.conf", CONF), new Vma.Config("qemu-server.fw", "[OPTIONS]\nenable: 1\n".getBytes(StandardCharsets.UTF_8)));
            UUID uuid = new UUID(r.nextLong(), r.nextLong());
            byte[] vma = archive(uuid, configs, disks);

            ArchiveCheck a = ArchiveCheck.read(new ByteArrayInputStream(vma));
            assertThat(a.ctime).isEqualTo(1_700_000_000L);
            assertThat(a.configs.keySet()).containsExactly("qemu-server.conf", "qemu-server.fw");
            assertThat(a.configs.get("qemu-server.conf")).isEqualTo(CONF);
            long clusters = 0, stored = 0;
            for (Map.Entry<Vma.Device, byte[]> e : disks.entrySet()) {
                assertThat(a.disks.get(e.getKey().name())).as("round %d %s", round, e.getKey()).isEqualTo(e.getValue());
                clusters += e.getKey().clusters();
                for (int off = 0; off < e.getValue().length; off += 4096) {
                    byte[] blk = Arrays.copyOfRange(e.getValue(), off, Math.min(off + 4096, e.getValue().length));
                    if (!Arrays.equals(blk, new byte[blk.length])) stored++;
                }
            }
            assertThat(a.extents).isEqualTo((int) ((clusters + 58) / 59));
            // only non-zero blocks are stored
            assertThat((long) vma.length - (vma.length - a.extents * 512L - stored * 4096)).isEqualTo(a.extents * 512L + stored * 4096);
            assertThat(vma.length % 512).isZero();

            // the archive reader gives the same content and configs
            Map<String, byte[]> back = new HashMap<>();
            VmaReader.Header h = VmaReader.read(new ByteArrayInputStream(vma), (dev, off, buf, len, zero) -> {
                byte[] d = back.computeIfAbsent(dev.name(), k -> new byte[(int) dev.size()]);
                if (zero) assertThat(Arrays.equals(buf, 0, len, new byte[len], 0, len)).isTrue();
                System.arraycopy(buf, 0, d, (int) off, len);
            });
            assertThat(h.uuid()).isEqualTo(uuid);
            assertThat(h.config("qemu-server.conf").data()).isEqualTo(CONF);
            assertThat(h.devices()).containsExactlyInAnyOrderElementsOf(disks.keySet());
            for (Map.Entry<Vma.Device, byte[]> e : disks.entrySet()) assertThat(back.get(e.getKey().name())).isEqualTo(e.getValue());
        }
    }

    @Test
    void corruptArchivesAreRefused() throws IOException {
        Random r = new Random(7);
        byte[] d = disk(r, 65536 * 70 + 1000);
        Vma.Device dev = new Vma.Device(1, "drive-virtio0", d.length);
        byte[] vma = archive(UUID.randomUUID(), List.of(new Vma.Config("qemu-server.conf", CONF)), Map.of(dev, d));
        int headerSize = 12288 + 512;
        assertThat(vma.length).isGreaterThan(headerSize + 512);

        Object[][] table = {
                {flip(vma, 1), "not a vma file - wrong magic"},
                {flip(vma, 12300), "wrong vma header checksum"},
                {flip(vma, headerSize + 30), "wrong extent header checksum"},
                {flip(vma, headerSize + 10), "wrong extent uuid"},
                {flip(vma, headerSize), "wrong extent magic"},
                {Arrays.copyOf(vma, vma.length - 100), "truncated extent (short read)"},
                {Arrays.copyOf(vma, headerSize + 200), "truncated extent header"},
                {Arrays.copyOf(vma, 5000), "truncated header"},
                {new byte[0], "not a vma file - empty"},
                {Arrays.copyOf(vma, lastExtentStart(vma, headerSize)), "detected missing cluster 59 of drive-virtio0"},
        };
        for (Object[] row : table) {
            assertThatThrownBy(() -> VmaReader.read(new ByteArrayInputStream((byte[]) row[0]), null))
                    .as("%s", row[1]).isInstanceOf(VmaReader.VmaException.class).hasMessage((String) row[1]);
            assertThatThrownBy(() -> ArchiveCheck.read(new ByteArrayInputStream((byte[]) row[0]))).as("test reader: %s", row[1]).isInstanceOfAny(AssertionError.class, IOException.class);
        }
        // a flipped data byte is not detectable by the format (no data checksum), but it changes the content
        byte[] flipped = flip(vma, vma.length - 4096);
        assertThat(Arrays.equals(ArchiveCheck.read(new ByteArrayInputStream(flipped)).disks.get("drive-virtio0"), d)).isFalse();
    }

    /** Offset of the second extent (the archive above has two). */
    private static int lastExtentStart(byte[] vma, int headerSize) {
        int blocks = ((vma[headerSize + 6] & 0xff) << 8) | (vma[headerSize + 7] & 0xff);
        return headerSize + 512 + blocks * 4096;
    }

    private static byte[] flip(byte[] b, int at) {
        byte[] c = b.clone();
        c[at] ^= 0x55;
        return c;
    }
}
