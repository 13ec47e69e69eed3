package org.haven.storage.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.storage.StorageException;
import org.haven.storage.spi.CommandRunner;

/**
 * The guest configuration stored in a vzdump archive ({@code pvesm extractconfig}): {@code qemu-server.conf} from
 * the header of a VMA archive, or {@code ./etc/vzdump/pct.conf} (containers) / {@code vps.conf} (OpenVZ) from a tar.
 * Compressed archives are read through {@code zstd}/{@code gzip}/{@code lzop}.
 */
public final class BackupConfig {
    private BackupConfig() {}

    static final int HEADER_LIMIT = 4 * 1024 * 1024;

    public static String extract(Path archive, CommandRunner run) throws IOException {
        String name = archive.getFileName().toString();
        if (!Files.isRegularFile(archive)) throw new StorageException("unable to open '" + archive + "' - no such file");
        if (name.matches(".*\\.vma(\\.(zst|gz|lzo))?")) {
            byte[] head;
            String comp = name.endsWith(".zst") ? "zstd -q -d -c" : name.endsWith(".gz") ? "gzip -d -c" : name.endsWith(".lzo") ? "lzop -d -c" : null;
            if (comp == null) {
                try (InputStream in = Files.newInputStream(archive)) {
                    head = in.readNBytes(HEADER_LIMIT);
                }
            } else {
                java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
                run.stream(List.of("sh", "-c", comp + " -- \"$0\" 2>/dev/null | head -c " + HEADER_LIMIT, archive.toString()),
                        Map.of(), null, bo);
                head = bo.toByteArray();
                if (head.length == 0) throw new StorageException("unable to decompress '" + archive + "'");
            }
            Map<String, byte[]> cfg = vmaConfigs(head);
            byte[] conf = cfg.get("qemu-server.conf");
            if (conf == null) throw new StorageException("unable to extract configuration for VMA archive");
            return new String(conf, StandardCharsets.UTF_8);
        }
        if (name.matches(".*\\.(tar(\\.(zst|gz|lzo|bz2))?|tgz)")) {
            for (String member : List.of("./etc/vzdump/pct.conf", "./etc/vzdump/vps.conf")) {
                CommandRunner.Result r = run.run(List.of("tar", "-xOf", archive.toString(), member), Map.of(), null);
                if (r.ok()) return r.stdout();
            }
            throw new StorageException("unable to extract configuration for backup format 'tar'");
        }
        throw new StorageException("cannot determine backup format of '" + name + "'");
    }

    /** The configuration files in a VMA header: name → data. */
    public static Map<String, byte[]> vmaConfigs(byte[] head) {
        if (head.length < 4096 || head[0] != 'V' || head[1] != 'M' || head[2] != 'A' || head[3] != 0)
            throw new StorageException("not a VMA archive (wrong magic)");
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.BIG_ENDIAN);
        int version = b.getInt(4);
        if (version != 1) throw new StorageException("unsupported VMA version " + version);
        int blobOffset = b.getInt(48);
        int blobSize = b.getInt(52);
        int headerSize = b.getInt(56);
        if (headerSize > head.length || blobOffset + blobSize > head.length)
            throw new StorageException("VMA header is truncated");
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < 256; i++) {
            int namePos = b.getInt(2044 + i * 4);
            int dataPos = b.getInt(3068 + i * 4);
            if (namePos == 0 || dataPos == 0) continue;
            byte[] nameBytes = blob(head, blobOffset, blobSize, namePos);
            byte[] data = blob(head, blobOffset, blobSize, dataPos);
            int len = nameBytes.length;
            if (len > 0 && nameBytes[len - 1] == 0) len--;
            out.put(new String(nameBytes, 0, len, StandardCharsets.UTF_8), data);
        }
        return out;
    }

    private static byte[] blob(byte[] head, int blobOffset, int blobSize, int pos) {
        if (pos + 2 >= blobSize) throw new StorageException("VMA header blob out of range");
        int at = blobOffset + pos;
        int size = (head[at] & 0xff) | ((head[at + 1] & 0xff) << 8);
        if (pos + 2 + size > blobSize) throw new StorageException("VMA header blob out of range");
        byte[] out = new byte[size];
        System.arraycopy(head, at + 2, out, 0, size);
        return out;
    }
}
