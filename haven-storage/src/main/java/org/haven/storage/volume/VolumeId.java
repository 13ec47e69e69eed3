package org.haven.storage.volume;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.storage.StorageException;

/** A volume ID {@code <storage>:<volname>}. */
public record VolumeId(String storage, String volname) {
    private static final Pattern VOLID = Pattern.compile("(?i)([a-z][a-z0-9\\-_.]*[a-z0-9]):(.+)", Pattern.DOTALL);

    public VolumeId {
        if (storage == null || volname == null || volname.isEmpty()) throw new StorageException("unable to parse volume ID '" + storage + ":" + volname + "'");
    }

    /** Parse; fails with PVE's "unable to parse volume ID" message. */
    public static VolumeId parse(String volid) {
        if (volid != null) {
            Matcher m = VOLID.matcher(volid);
            if (m.matches() && !m.group(2).contains("\n")) return new VolumeId(m.group(1), m.group(2));
        }
        throw new StorageException("unable to parse volume ID '" + volid + "'");
    }

    /** True when the text looks like a volume ID (and not like an absolute path). */
    public static boolean isVolumeId(String s) {
        return s != null && VOLID.matcher(s).matches();
    }

    @Override public String toString() { return storage + ":" + volname; }
}
