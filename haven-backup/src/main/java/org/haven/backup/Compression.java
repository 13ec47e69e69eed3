package org.haven.backup;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * vzdump's compressors, run as PVE runs them: the archive stream goes through {@code zstd}, {@code gzip}
 * ({@code pigz} with {@code --pigz N}) or {@code lzop} into the file, and back through them on restore.
 */
public enum Compression {
    NONE(""), GZIP(".gz"), LZO(".lzo"), ZSTD(".zst");

    public final String suffix;

    Compression(String suffix) { this.suffix = suffix; }

    /** {@code --compress}: {@code 0}, {@code 1} (lzo), {@code gzip}, {@code lzo}, {@code zstd}. */
    public static Compression of(String compress) {
        return switch (compress == null ? "0" : compress) {
            case "0" -> NONE;
            case "1", "lzo" -> LZO;
            case "gzip" -> GZIP;
            case "zstd" -> ZSTD;
            default -> throw new IllegalArgumentException("unknown compression '" + compress + "'");
        };
    }

    /** From an archive's name ({@code .vma.zst} …). */
    public static Compression ofFileName(String name) {
        if (name.endsWith(".zst")) return ZSTD;
        if (name.endsWith(".gz")) return GZIP;
        if (name.endsWith(".lzo")) return LZO;
        return NONE;
    }

    /** The compressor command line ({@code zstd} threads, {@code pigz} processes); empty for none. */
    public List<String> compressCommand(int zstdThreads, int pigz) {
        return switch (this) {
            case NONE -> List.of();
            case GZIP -> pigz > 0 ? List.of("pigz", "-p", Integer.toString(pigz), "-c", "--rsyncable") : List.of("gzip", "-c", "--rsyncable");
            case LZO -> List.of("lzop", "-c");
            case ZSTD -> List.of("zstd", "-q", "-c", "--threads=" + zstdThreads);
        };
    }

    public List<String> decompressCommand() {
        return switch (this) {
            case NONE -> List.of();
            case GZIP -> List.of("gzip", "-d", "-c");
            case LZO -> List.of("lzop", "-d", "-c");
            case ZSTD -> List.of("zstd", "-q", "-d", "-c");
        };
    }

    /** A stream into {@code file} through the compressor; closing it waits for the compressor and fails when it did. */
    public OutputStream writeTo(Path file, int zstdThreads, int pigz) throws IOException {
        if (this == NONE) return Files.newOutputStream(file);
        List<String> cmd = compressCommand(zstdThreads, pigz);
        Process p = start(new ProcessBuilder(cmd).redirectOutput(file.toFile()), cmd);
        return new FilterOutputStream(p.getOutputStream()) {
            @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }

            @Override public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    finish(p, cmd);
                }
            }
        };
    }

    /** The archive's content, decompressed; closing it fails when the decompressor did (a damaged file). */
    public InputStream readFrom(Path file) throws IOException { return readFrom(file, null); }

    /**
     * As {@link #readFrom(Path)}, the file (as stored, compressed) read at no more than {@code kibPerSecond}
     * (null or 0: no limit), as PVE's {@code cstream -t} in front of the decompressor.
     */
    public InputStream readFrom(Path file, Long kibPerSecond) throws IOException { return readFrom(file, kibPerSecond, Throttle.Pacer.SYSTEM); }

    InputStream readFrom(Path file, Long kibPerSecond, Throttle.Pacer pacer) throws IOException {
        boolean limited = kibPerSecond != null && kibPerSecond > 0;
        if (this == NONE) return Throttle.of(Files.newInputStream(file), kibPerSecond, pacer);
        List<String> cmd = decompressCommand();
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Process p = start(limited ? pb : pb.redirectInput(file.toFile()), cmd);
        Thread feeder = limited ? feed(Throttle.of(Files.newInputStream(file), kibPerSecond, pacer), p) : null;
        return new FilterInputStream(p.getInputStream()) {
            @Override public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n < 0) finish(p, cmd); // a damaged file ends early: say why
                return n;
            }

            @Override public void close() throws IOException {
                p.destroy();
                if (feeder != null) feeder.interrupt();
                super.close();
            }
        };
    }

    /** Copies {@code in} into the process's input and closes both; stops quietly when the process goes away. */
    private static Thread feed(InputStream in, Process p) {
        return Thread.ofVirtual().name("decompressor-input").start(() -> {
            try (in; OutputStream out = p.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // the decompressor ended (a damaged file, or the reader closed it): its exit status tells why
            }
        });
    }

    private static Process start(ProcessBuilder pb, List<String> cmd) throws IOException {
        pb.redirectError(ProcessBuilder.Redirect.PIPE);
        try {
            return pb.start();
        } catch (IOException e) {
            throw new IOException("unable to run '" + cmd.get(0) + "' - " + e.getMessage());
        }
    }

    private static void finish(Process p, List<String> cmd) throws IOException {
        try {
            int rc = p.waitFor();
            if (rc != 0) {
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                throw new IOException("command '" + String.join(" ", new ArrayList<>(cmd)) + "' failed: exit code " + rc + (err.isEmpty() ? "" : " - " + err));
            }
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}
