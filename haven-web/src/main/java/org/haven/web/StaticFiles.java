package org.haven.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;

/**
 * The web UI's files, read from the class path under a root ({@code www/}) and kept in memory with their
 * content type, a strong ETag, a gzip variant (for compressible types) and the cache policy: the entry page
 * is revalidated on every load, while the vendor modules and the application live in versioned or
 * content-addressed directories ({@code vendor/<package>-<version>/}, {@code app-<hash>/}) and never change.
 */
public final class StaticFiles {

    /** A file ready to send. {@code gzip} is null when compression does not pay off. */
    public record Entry(String path, byte[] body, byte[] gzip, String contentType, String etag, String cacheControl) {}

    static final String NO_CACHE = "no-cache";
    static final String IMMUTABLE = "public, max-age=31536000, immutable";
    static final String SHORT = "public, max-age=3600";

    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("gif", "image/gif"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("wasm", "application/wasm"));

    private final ClassLoader loader;
    private final String root;
    private final Path dir;
    private final Map<String, Optional<Entry>> cache = new ConcurrentHashMap<>();

    /** Files from the class path below {@code root}, read once and kept. */
    public StaticFiles(ClassLoader loader, String root) {
        this.loader = loader;
        this.root = root.endsWith("/") ? root : root + "/";
        this.dir = null;
    }

    /** Files from a directory, read on every request (for working on the UI: {@code -Dhaven.web.dir=…/target/classes/www}). */
    public StaticFiles(Path dir) {
        this.loader = null;
        this.root = null;
        this.dir = dir;
    }

    /** The file for a request path ({@code /} is the entry page); empty for anything that is not a UI file. */
    public Optional<Entry> lookup(String requestPath) {
        String rel = normalize(requestPath);
        if (rel == null) return Optional.empty();
        if (dir != null) return load(rel);
        return cache.computeIfAbsent(rel, this::load);
    }

    /** Relative resource name for a request path, or null when it is not a safe file name. */
    static String normalize(String requestPath) {
        if (requestPath == null || !requestPath.startsWith("/")) return null;
        String rel = requestPath.substring(1);
        if (rel.isEmpty()) return "index.html";
        if (rel.endsWith("/") || rel.contains("\\") || rel.contains("//") || rel.indexOf('\0') >= 0) return null;
        for (String seg : rel.split("/")) if (seg.equals("..") || seg.equals(".") || seg.isEmpty()) return null;
        return rel;
    }

    public static String contentType(String name) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }

    static String cacheControl(String rel) {
        if (rel.equals("index.html")) return NO_CACHE;
        if (rel.startsWith("vendor/") || rel.matches("app-[0-9a-f]+/.*")) return IMMUTABLE;
        return SHORT;
    }

    private Optional<Entry> load(String rel) {
        try (InputStream in = open(rel)) {
            if (in == null) return Optional.empty();
            byte[] body = in.readAllBytes();
            String type = contentType(rel);
            byte[] gz = null;
            if (body.length > 512 && (type.startsWith("text/") || type.startsWith("application/json") || type.startsWith("image/svg"))) {
                ByteArrayOutputStream bo = new ByteArrayOutputStream(body.length / 3);
                try (GZIPOutputStream g = new GZIPOutputStream(bo)) { g.write(body); }
                if (bo.size() < body.length) gz = bo.toByteArray();
            }
            return Optional.of(new Entry("/" + rel, body, gz, type, etag(body), cacheControl(rel)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private InputStream open(String rel) throws IOException {
        if (dir == null) return loader.getResourceAsStream(root + rel);
        Path f = dir.resolve(rel).normalize();
        if (!f.startsWith(dir) || !Files.isRegularFile(f)) return null;
        return Files.newInputStream(f);
    }

    static String etag(byte[] body) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(d, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
