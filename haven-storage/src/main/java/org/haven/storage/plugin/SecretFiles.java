package org.haven.storage.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.haven.storage.StorageException;

/** Writes secrets kept in the cluster file system to root-only local files for tools that need a file (mount, rbd). */
final class SecretFiles {
    private SecretFiles() {}

    static Path dir() {
        return Path.of(System.getProperty("haven.secret.dir", System.getProperty("java.io.tmpdir") + "/haven-storage-secrets"));
    }

    static Path write(String name, String content) {
        try {
            Path d = dir();
            Files.createDirectories(d);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
            Path f = d.resolve(name);
            Files.writeString(f, content);
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            return f;
        } catch (IOException e) {
            throw new StorageException("unable to write secret file '" + name + "' - " + e.getMessage(), e);
        }
    }
}
