package org.haven.node.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.haven.api.NodeContext;

/**
 * Where the node administration finds the host's files: {@code root} holds {@code proc}, {@code sys} and
 * {@code usr/share/misc/pci.ids} (and {@code etc} to read from), {@code etc} is where {@code resolv.conf} and
 * {@code hosts} are written, {@code journal} the journal directory to read (null: the system journal). A system
 * node uses the machine's files; an embedded node writes its DNS and hosts files below its data directory and reads
 * the machine's until it has its own, so the machine's {@code /etc} is never changed.
 */
public record Host(Path root, Path etc, Path journal) {

    public static Host of(NodeContext ctx) {
        Path root = Path.of("/");
        return new Host(root, ctx.embedded() ? ctx.dataDir().resolve("host").resolve("etc") : root.resolve("etc"), null);
    }

    public Path sys(String path) { return root.resolve("sys").resolve(path); }

    public Path proc(String path) { return root.resolve("proc").resolve(path); }

    public Path pciIds() { return root.resolve("usr/share/misc/pci.ids"); }

    /** The text of {@code etc/name}: the node's own file, else the machine's, else empty. */
    public String readEtc(String name) {
        for (Path f : new Path[]{etc.resolve(name), root.resolve("etc").resolve(name)}) {
            try {
                return Files.readString(f, StandardCharsets.UTF_8);
            } catch (java.nio.file.NoSuchFileException e) {
                // next
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return "";
    }

    /** Replace {@code etc/name} with {@code text} (a new file renamed over the old one). */
    public void writeEtc(String name, String text) {
        try {
            Files.createDirectories(etc);
            Path tmp = etc.resolve(name + ".tmp." + ProcessHandle.current().pid());
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, etc.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to write " + etc.resolve(name) + ": " + e.getMessage(), e);
        }
    }
}
