package org.haven.lxc.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.lxc.config.CtConfig;
import org.haven.lxc.config.MountPoint;
import org.haven.lxc.gen.HostFacts;
import org.haven.lxc.gen.IdMap;
import org.haven.lxc.gen.LxcConfigGenerator;
import org.haven.lxc.setup.ContainerSetup;
import org.haven.storage.spi.CommandRunner;

/**
 * Running containers: mounts their volumes, runs the distribution setup, writes the generated LXC config and
 * drives {@code lxc-start}/{@code lxc-stop}/{@code lxc-info}. Containers whose ostype is {@code unmanaged} get no
 * setup (as in PVE); their static addresses are configured by LXC itself.
 */
public final class CtRuntime {
    private final GuestConfigStore store;
    private final Lxc lxc;
    private final CtVolumes volumes;
    private final HostFacts host;

    public CtRuntime(GuestConfigStore store, Lxc lxc, CtVolumes volumes, HostFacts host) {
        this.store = store;
        this.lxc = lxc;
        this.volumes = volumes;
        this.host = host;
    }

    public Lxc lxc() { return lxc; }
    public CtVolumes volumes() { return volumes; }
    public GuestConfigStore store() { return store; }
    public HostFacts host() { return host; }

    /** The container's id map on this host ({@link IdMap#NONE} for a privileged one). */
    public IdMap idMap(CtConfig c) { return IdMap.of(c, host); }

    private static void log(Consumer<String> log, String s) { if (log != null) log.accept(s); }

    public static boolean managed(CtConfig c) { return c.ostype() != null && !c.ostype().equals("unmanaged"); }

    /** The distribution setup, for every ostype but {@code unmanaged}. */
    public static void setup(CtConfig c, Path rootfs, ContainerSetup.Options options) {
        if (!managed(c)) return;
        try {
            ContainerSetup.apply(rootfs, c.values(), options);
        } catch (IOException e) {
            throw new GuestException(500, "container setup failed: " + e.getMessage());
        }
    }

    public void start(int vmid, Consumer<String> log) {
        GuestConfig cfg = store.load(vmid);
        CtConfig c = CtConfig.of(cfg.current());
        if (c.template()) throw new GuestException(500, "cannot start template");
        if (lxc.isRunning(vmid)) throw new GuestException(500, "CT " + vmid + " already running");
        if (c.rootfs() == null) throw new GuestException(500, "CT " + vmid + " has no rootfs");
        volumes.umount(lxc.dir(vmid));
        Map<String, String> mounts = volumes.mountAll(c, lxc.rootfs(vmid), lxc.dir(vmid).resolve("mp"));
        try {
            setup(c, lxc.rootfs(vmid), ContainerSetup.Options.DEFAULT);
            String conf = LxcConfigGenerator.generate(vmid, c, host, lxc.rootfs(vmid).toString(), mounts, !managed(c));
            Files.writeString(lxc.configFile(vmid), conf);
            lxc.start(vmid);
        } catch (IOException e) {
            volumes.umount(lxc.dir(vmid));
            throw new GuestException(500, e.getMessage());
        } catch (RuntimeException e) {
            volumes.umount(lxc.dir(vmid));
            throw e;
        }
        log(log, "CT " + vmid + " started");
    }

    public void stop(int vmid, Consumer<String> log) {
        if (lxc.isRunning(vmid)) lxc.kill(vmid);
        volumes.umount(lxc.dir(vmid));
    }

    public void shutdown(int vmid, Duration timeout, boolean forceStop, Consumer<String> log) {
        if (lxc.isRunning(vmid) && !lxc.shutdown(vmid, timeout.toSeconds())) {
            if (!forceStop) throw new GuestException(500, "shutdown container " + vmid + " failed - got timeout");
            log(log, "shutdown timed out - stopping container");
            lxc.kill(vmid);
        }
        volumes.umount(lxc.dir(vmid));
    }

    /** PVE's status object of one container. */
    public Map<String, Object> status(int vmid) {
        CtConfig c = CtConfig.of(store.load(vmid).current());
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        String state = lxc.state(vmid);
        boolean running = !state.equals("STOPPED");
        m.put("vmid", vmid);
        m.put("type", "lxc");
        m.put("name", c.hostname() == null ? "CT" + vmid : c.hostname());
        m.put("status", running ? "running" : "stopped");
        m.put("maxmem", c.memory() * 1024L * 1024L);
        m.put("maxswap", c.swap() * 1024L * 1024L);
        m.put("cpus", c.cores() != null ? c.cores() : host.cpus().size());
        MountPoint root = c.rootfs();
        m.put("maxdisk", root == null || root.props().get("size") == null ? 0L : org.haven.guest.GuestVolumes.parseSize(root.props().get("size")));
        long uptime = 0;
        Integer pid = running ? lxc.pid(vmid) : null;
        if (pid != null) {
            m.put("pid", pid);
            Instant since = ProcessHandle.of(pid).flatMap(p -> p.info().startInstant()).orElse(null);
            if (since != null) uptime = Math.max(0, Duration.between(since, Instant.now()).toSeconds());
        }
        if (state.equals("FROZEN")) m.put("status", "running");
        m.put("uptime", uptime);
        m.put("mem", 0L);
        m.put("swap", 0L);
        m.put("disk", 0L);
        m.put("cpu", 0);
        m.put("netin", 0L);
        m.put("netout", 0L);
        m.put("diskread", 0L);
        m.put("diskwrite", 0L);
        if (c.lock() != null) m.put("lock", c.lock());
        if (c.tags() != null) m.put("tags", c.tags());
        if (c.template()) m.put("template", 1);
        return m;
    }

    /** Remove the container's runtime directory (after unmounting what is left there). */
    public void cleanup(int vmid) {
        volumes.umount(lxc.dir(vmid));
        deleteTree(lxc.dir(vmid));
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new GuestException(500, "unable to remove " + dir + ": " + e.getMessage());
        }
    }

    /** Mount the stopped container's volumes ({@code pct mount}); returns the rootfs directory. */
    public Path mountAll(int vmid, CtConfig c) {
        volumes.umount(lxc.dir(vmid));
        volumes.mountAll(c, lxc.rootfs(vmid), lxc.dir(vmid).resolve("mp"));
        return lxc.rootfs(vmid);
    }

    /** Mount the stopped container's volumes for {@code body} ({@code pct mount}-like work: create, push, pull). */
    public <T> T withMounted(int vmid, CtConfig c, java.util.function.Function<Path, T> body) {
        Path root = mountAll(vmid, c);
        try {
            return body.apply(root);
        } finally {
            volumes.umount(lxc.dir(vmid));
        }
    }

    /** Run a command in the running container. */
    public CommandRunner.Result exec(int vmid, List<String> command, byte[] stdin) {
        if (!lxc.isRunning(vmid)) throw new GuestException(500, "CT " + vmid + " not running");
        return lxc.attach(vmid, command, stdin);
    }
}
