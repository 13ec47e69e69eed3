package org.haven.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A loop device over a sparse file; {@link #close()} detaches it and deletes the file. */
public final class LoopDevice implements AutoCloseable {
    public final Path file;
    public final String device;

    private LoopDevice(Path file, String device) {
        this.file = file;
        this.device = device;
    }

    public static LoopDevice create(Path dir, String name, long bytes) throws IOException {
        Path f = dir.resolve(name + ".img");
        TestSupport.sh("truncate", "-s", String.valueOf(bytes), f.toString());
        String dev = TestSupport.sh("losetup", "--find", "--show", f.toString()).strip();
        return new LoopDevice(f, dev);
    }

    @Override
    public void close() {
        TestSupport.quiet("losetup", "-d", device);
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // temp dir cleanup handles it
        }
    }
}
