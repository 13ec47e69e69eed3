package org.haven.storage.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.fuzz.RoundTrip;
import org.haven.storage.StorageException;

/** Fuzz target of {@code storage.cfg} (seeds in {@code StorageConfigFuzzTestInputs/storageCfg/}). */
class StorageConfigFuzzTest {
    static final RoundTrip<StorageConfig> STORAGE_CFG = RoundTrip.of((String t) -> StorageConfig.parse(t, "/var/lib/vz"), StorageConfig::write)
            .refusesWith(StorageException.class).model(StorageConfig::ids);

    @FuzzTest
    void storageCfg(byte[] data) {
        StorageConfig c = STORAGE_CFG.check(RoundTrip.text(data));
        if (c != null) c.ids();
    }
}
