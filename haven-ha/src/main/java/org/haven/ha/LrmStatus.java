package org.haven.ha;

import java.util.TreeMap;

/** Contents of {@code nodes/<node>/lrm_status}. */
public final class LrmStatus {
    public String state;
    /** {@code active}, {@code maintenance}, {@code restart}, {@code shutdown}; null when unknown. */
    public String mode;
    public final TreeMap<String, LrmResult> results = new TreeMap<>();
    public long timestamp;

    public LrmStatus copy() {
        LrmStatus c = new LrmStatus();
        c.state = state;
        c.mode = mode;
        c.results.putAll(results);
        c.timestamp = timestamp;
        return c;
    }
}
