package org.haven.storage;

import java.util.Arrays;
import java.util.Optional;

/** Storage content types as PVE names them in {@code content} lists and volume listings. */
public enum ContentType {
    IMAGES("images"),
    ROOTDIR("rootdir"),
    VZTMPL("vztmpl"),
    ISO("iso"),
    BACKUP("backup"),
    SNIPPETS("snippets"),
    IMPORT("import"),
    NONE("none");

    private final String id;

    ContentType(String id) { this.id = id; }

    /** The name used in {@code storage.cfg} and the API. */
    public String id() { return id; }

    public static Optional<ContentType> of(String id) {
        return Arrays.stream(values()).filter(c -> c.id.equals(id)).findFirst();
    }

    @Override public String toString() { return id; }
}
