package org.haven.network.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.haven.network.apply.Links;
import org.haven.network.ifaces.Iface;
import org.haven.network.ifaces.Interfaces;
import org.haven.network.ifaces.NetworkConfig;
import org.haven.network.ifaces.Stanza;

/**
 * The node's interfaces file and its pending copy {@code interfaces.new} beside it, as PVE keeps them: changes
 * go to the pending copy, {@link #commit()} moves it over the file, {@link #revert()} deletes it.
 */
public final class NetworkStore {
    private final Path file;
    private final Path pending;

    public NetworkStore(Path file) {
        this.file = file;
        this.pending = file.resolveSibling(file.getFileName() + ".new");
    }

    public Path file() { return file; }
    public Path pending() { return pending; }

    public boolean hasPending() { return Files.exists(pending); }

    /** The text changes start from: the pending copy when there is one, else the file (null when neither exists). */
    public synchronized String baseText() throws IOException {
        if (Files.exists(pending)) return Files.readString(pending);
        if (Files.exists(file)) return Files.readString(file);
        return null;
    }

    /**
     * The configuration as PVE reads it: the pending copy or the file, with the loopback and the physical NICs the
     * machine has added when the file lacks them (method {@code manual}).
     */
    public synchronized NetworkConfig read(Map<String, Links.Link> live) throws IOException {
        String text = baseText();
        NetworkConfig c = text == null ? NetworkConfig.empty() : Interfaces.parse(text);
        if (!c.ifaces().containsKey("lo")) {
            LinkedHashMap<String, Iface> m = new LinkedHashMap<>();
            m.put("lo", new Iface("lo", true, false, new java.util.TreeMap<>(), List.of(Stanza.of("inet", "loopback"))));
            m.putAll(c.ifaces());
            c = new NetworkConfig(m, c.directives());
        }
        for (String name : live.keySet())
            if (!c.ifaces().containsKey(name) && Iface.PHYSICAL.matcher(name).matches())
                c = c.with(new Iface(name, false, false, new java.util.TreeMap<>(), List.of(Stanza.of("inet", "manual"))));
        return c;
    }

    /** Write {@code config} to the pending copy, keeping the base text byte for byte where nothing changed. */
    public synchronized void write(NetworkConfig config) throws IOException {
        String out = Interfaces.write(config, baseText());
        Files.createDirectories(pending.getParent());
        Path tmp = pending.resolveSibling(pending.getFileName() + ".tmp");
        Files.writeString(tmp, out);
        Files.move(tmp, pending, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Move the pending copy over the file; false when there was nothing pending. */
    public synchronized boolean commit() throws IOException {
        if (!Files.exists(pending)) return false;
        Files.move(pending, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return true;
    }

    /** Delete the pending copy. */
    public synchronized void revert() throws IOException {
        Files.deleteIfExists(pending);
    }

    /** PVE's {@code changes}: {@code diff -u} of the file and the pending copy, empty when nothing is pending. */
    public synchronized Optional<String> changes() {
        if (!Files.exists(pending)) return Optional.empty();
        String from = Files.exists(file) ? file.toString() : "/dev/null";
        return Optional.of(org.haven.network.apply.Cmd.result(List.of("diff", "-u", from, pending.toString()), 30).output());
    }
}
