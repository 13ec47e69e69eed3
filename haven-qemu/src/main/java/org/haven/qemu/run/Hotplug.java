package org.haven.qemu.run;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import org.haven.guest.config.GuestException;
import org.haven.qemu.cmd.QemuCommand;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.qmp.QmpClient;
import org.haven.qemu.qmp.QmpException;

/**
 * Plugging nics and disks into a running VM and out of it. The QEMU arguments come from the command-line
 * builder for the changed config, so a hot-plugged device looks exactly like one present at start; they are
 * given to QEMU's monitor ({@code netdev_add}, {@code drive_add}, {@code device_add}), as PVE does.
 */
public final class Hotplug {

    private final VmManager vms;

    public Hotplug(VmManager vms) { this.vms = vms; }

    /** The features of the {@code hotplug} option (PVE default: network, disk, usb). */
    public static Set<String> features(String hotplug) {
        if (hotplug == null) return Set.of("network", "disk", "usb");
        if (hotplug.equals("0")) return Set.of();
        if (hotplug.equals("1")) return Set.of("network", "disk", "usb");
        return Set.of(hotplug.split(","));
    }

    /** True when {@code key} is a device this class can plug with the given features. */
    public static boolean pluggable(String key, Set<String> features) {
        if (QemuOptions.isNet(key)) return features.contains("network");
        if (key.matches("(virtio|scsi)\\d+")) return features.contains("disk");
        return false;
    }

    private static String hmp(QmpClient q, String cmd) {
        var r = q.execute("human-monitor-command", Map.of("command-line", cmd), Duration.ofSeconds(30));
        String out = r == null ? "" : r.asString("").trim();
        return out;
    }

    /** Arguments following each occurrence of {@code option} in the command. */
    private static List<String> values(QemuCommand cmd, String option) {
        List<String> out = new ArrayList<>();
        List<String> a = cmd.argv();
        for (int i = 0; i < a.size() - 1; i++) if (a.get(i).equals(option)) out.add(a.get(i + 1));
        return out;
    }

    private static boolean hasId(String arg, String id) {
        for (String part : arg.split(",")) if (part.equals("id=" + id)) return true;
        return false;
    }

    /**
     * Plug {@code key} of {@code conf} (the config including the new value) into the running VM.
     * {@code running} is the command line the VM was started with (for the controllers and bridges it has).
     */
    public void plug(int vmid, String key, Map<String, String> conf) {
        QemuCommand cmd = vms.command(vmid, conf);
        try (QmpClient q = vms.qmp(vmid)) {
            if (QemuOptions.isNet(key)) {
                for (QemuCommand.Tap tap : cmd.taps()) {
                    if (!tap.name().equals(vms.host().tap(vmid, Integer.parseInt(key.substring(3))))) continue;
                    HostNet.installBridgeScript(Path.of(vms.host().bridgeScript()));
                    if (!HostNet.isBridge(tap.bridge())) throw new GuestException(500, "bridge '" + tap.bridge() + "' does not exist");
                    HostNet.writeTapConf(vms.paths().tapConf(tap.name()), tap);
                }
                String netdev = values(cmd, "-netdev").stream().filter(v -> hasId(v, key)).findFirst()
                        .orElseThrow(() -> new GuestException(500, "no netdev for " + key));
                String device = values(cmd, "-device").stream().filter(v -> hasId(v, key)).findFirst()
                        .orElseThrow(() -> new GuestException(500, "no device for " + key));
                check(hmp(q, "netdev_add " + netdev), "netdev_add");
                String err = hmp(q, "device_add " + device);
                if (!err.isEmpty()) {
                    hmp(q, "netdev_del " + key);
                    throw new GuestException(500, "device_add failed - " + err);
                }
            } else {
                String drive = values(cmd, "-drive").stream().filter(v -> hasId(v, "drive-" + key)).findFirst()
                        .orElseThrow(() -> new GuestException(500, "no drive for " + key));
                List<String> devs = values(cmd, "-device");
                String device = devs.stream().filter(v -> hasId(v, key)).findFirst()
                        .orElseThrow(() -> new GuestException(500, "no device for " + key));
                // a controller of its own (virtio-scsi-single) or an iothread comes first
                for (String obj : values(cmd, "-object")) {
                    if (obj.startsWith("iothread,") && (hasId(obj, "iothread-" + key) || hasId(obj, "iothread-virtioscsi" + key.substring(4))))
                        check(hmp(q, "object_add " + obj), "object_add");
                }
                String ctrlId = null;
                for (String part : device.split(",")) if (part.startsWith("bus=") && !part.startsWith("bus=pci")) ctrlId = part.substring(4, part.lastIndexOf('.'));
                if (ctrlId != null && !hasDevice(q, ctrlId)) {
                    String cid = ctrlId;
                    String ctrl = devs.stream().filter(v -> hasId(v, cid)).findFirst()
                            .orElseThrow(() -> new GuestException(500, "no controller for " + key));
                    check(hmp(q, "device_add " + ctrl), "device_add");
                }
                check(hmp(q, "drive_add auto \"" + drive + "\""), "drive_add", "OK");
                String err = hmp(q, "device_add " + device);
                if (!err.isEmpty()) {
                    hmp(q, "drive_del drive-" + key);
                    throw new GuestException(500, "device_add failed - " + err);
                }
            }
        } catch (QmpException e) {
            throw new GuestException(500, "hotplug problem - " + e.getMessage());
        }
    }

    private static void check(String out, String what, String... okOutputs) {
        if (out.isEmpty()) return;
        for (String ok : okOutputs) if (out.equals(ok)) return;
        throw new GuestException(500, what + " failed - " + out);
    }

    private static boolean hasDevice(QmpClient q, String id) {
        try {
            q.execute("qom-get", Map.of("path", "/machine/peripheral/" + id, "property", "type"), Duration.ofSeconds(5));
            return true;
        } catch (QmpException e) {
            return false;
        }
    }

    /** Unplug {@code key}: device_del, wait for the guest to release it, then remove the backend. */
    public void unplug(int vmid, String key, Duration timeout) {
        try (QmpClient q = vms.qmp(vmid)) {
            q.execute("device_del", Map.of("id", key), Duration.ofSeconds(10));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (hasDevice(q, key)) {
                if (System.nanoTime() > deadline) throw new GuestException(500, "unplug of '" + key + "' timed out - the guest did not release the device");
                try {
                    q.awaitEvent("DEVICE_DELETED", Duration.ofMillis(500));
                } catch (TimeoutException ignored) {
                    // poll again
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new GuestException(500, "interrupted");
                }
            }
            if (QemuOptions.isNet(key)) hmp(q, "netdev_del " + key);
            else hmp(q, "drive_del drive-" + key);
        } catch (QmpException e) {
            throw new GuestException(500, "hotplug problem - " + e.getMessage());
        }
    }
}
