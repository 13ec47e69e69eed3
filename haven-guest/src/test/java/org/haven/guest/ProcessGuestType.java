package org.haven.guest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.haven.core.format.PropertyString;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestException;
import org.haven.guest.volume.VolumeAccess;

/**
 * A minimal guest type for tests: the "guest" is a {@code sleep} process, its config lives in
 * {@code nodes/<node>/haven-proc/<vmid>.conf}, and its volumes are {@code disk0}…{@code disk9} with PVE's
 * container-style {@code volume} property ({@code disk0: vmstore:200/vm-200-disk-0.qcow2,size=1M}).
 * It records freeze/thaw calls so tests can see the framework quiesce a running guest around snapshots.
 */
final class ProcessGuestType implements GuestType {

    static final VolumeKeys KEYS = new VolumeKeys() {
        @Override public boolean isVolumeKey(String key) { return key.matches("disk\\d"); }
        @Override public LinkedHashMap<String, String> parse(String key, String value) { return PropertyString.parse(value, "volume"); }
        @Override public String print(String key, Map<String, String> props) { return PropertyString.print(props, "volume"); }
        @Override public String volumeProperty() { return "volume"; }
    };

    private final VolumeAccess volumes;
    private final Map<Integer, Process> running = new ConcurrentHashMap<>();
    final List<String> events = new ArrayList<>();

    ProcessGuestType(VolumeAccess volumes) { this.volumes = volumes; }

    @Override public String configDir() { return "haven-proc"; }
    @Override public String typeWord() { return "proc"; }
    @Override public String guestWord() { return "PG"; }
    @Override public String haPrefix() { return "pg"; }
    @Override public VolumeKeys volumeKeys() { return KEYS; }

    @Override public boolean isRunning(int vmid) {
        Process p = running.get(vmid);
        return p != null && p.isAlive();
    }

    @Override public void start(int vmid, Consumer<String> log) {
        if (isRunning(vmid)) throw new GuestException(500, "PG " + vmid + " already running");
        try {
            running.put(vmid, new ProcessBuilder("sleep", "3600").start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override public void stop(int vmid, Duration timeout, Consumer<String> log) {
        Process p = running.remove(vmid);
        if (p == null) return;
        p.destroy();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) p.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override public void shutdown(int vmid, Duration timeout, boolean forceStop, Consumer<String> log) {
        if (!isRunning(vmid)) throw new GuestException(500, "PG " + vmid + " not running");
        stop(vmid, timeout, log);
    }

    @Override public Map<String, Object> status(int vmid, boolean full) {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        m.put("vmid", vmid);
        m.put("status", isRunning(vmid) ? "running" : "stopped");
        if (isRunning(vmid)) m.put("pid", running.get(vmid).pid());
        return m;
    }

    @Override public void freeze(int vmid, Consumer<String> log) { events.add("freeze " + vmid); }
    @Override public void thaw(int vmid, Consumer<String> log) { events.add("thaw " + vmid); }

    @Override public void prepareClone(GuestConfig clone, GuestConfig.Section from, int vmid, String name) {
        String src = from.getOrNull("hostname");
        clone.set("hostname", name != null ? name : "Copy-of-PG-" + (src == null ? vmid : src));
    }

    /** A byte copy of the image file. */
    @Override public void copyVolume(String srcVolid, String dstVolid, String snapname, Consumer<String> log) {
        try {
            Files.copy(Path.of(volumes.resolve(srcVolid).path()), Path.of(volumes.resolve(dstVolid).path()), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kill every process this type started. */
    void stopAll() {
        for (int vmid : List.copyOf(running.keySet())) stop(vmid, Duration.ofSeconds(5), null);
    }
}
