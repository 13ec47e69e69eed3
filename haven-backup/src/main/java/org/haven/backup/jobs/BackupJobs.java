package org.haven.backup.jobs;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.format.SectionConfig;

/** The backup jobs of {@code jobs.cfg} ({@code vzdump: <id>} sections); other job types in the file are kept as they are. */
public final class BackupJobs {
    public static final String PATH = "jobs.cfg";
    public static final String TYPE = "vzdump";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ClusterFs cfs;

    public BackupJobs(ClusterFs cfs) { this.cfs = cfs; }

    private SectionConfig.Document read() {
        return SectionConfig.parse(cfs.readString(PATH).orElse(""));
    }

    /** Job id → properties, in id order. */
    public Map<String, Map<String, String>> list() {
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (var s : read().sections()) if (s.type().equals(TYPE)) out.put(s.id(), new LinkedHashMap<>(s.properties()));
        return out;
    }

    /** The text of {@code user.cfg} (its pools expand a job's {@code pool}), null when there is none. */
    public String userCfg() { return cfs.readString("user.cfg").orElse(null); }

    /** Change the file under the cluster lock of {@code jobs.cfg}. */
    public <T> T modify(Function<SectionConfig.Document, T> change) {
        return cfs.withLock("file-jobs_cfg", Duration.ofSeconds(10), () -> {
            SectionConfig.Document doc = read();
            T r = change.apply(doc);
            cfs.writeString(PATH, SectionConfig.write(doc));
            return r;
        });
    }

    /** PVE's generated job id: {@code backup-xxxxxxxx-xxxx}. */
    public static String newId() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        StringBuilder sb = new StringBuilder("backup-");
        for (int i = 0; i < b.length; i++) {
            if (i == 4) sb.append('-');
            sb.append(String.format("%02x", b[i]));
        }
        return sb.toString();
    }
}
