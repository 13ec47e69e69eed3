package org.haven.firewall.apply;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.haven.core.cfs.ClusterFs;
import org.haven.firewall.compile.FwCompiler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node's nftables ruleset in step with the cluster: it reads {@code firewall/cluster.fw},
 * {@code nodes/<node>/host.fw}, the node's guests and their {@code firewall/<vmid>.fw}, the vnets' firewalls
 * ({@code sdn/firewall/<vnet>.fw}), the members from {@code .members}, compiles and loads the result. It recompiles
 * when a file below {@code firewall/}, {@code sdn/} or {@code nodes/<node>/} changes, when {@code corosync.conf} changes (a node joins or leaves: the members' addresses
 * the host zone lets in), and every {@code period} (NIC changes of guests on the bridge, a changed local address).
 * Reading needs no quorum, so a node without quorum keeps compiling its last known configuration: the same rules,
 * nothing opened and nothing flushed; what changed meanwhile is loaded when the cluster reaches it again.
 */
public final class FirewallService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FirewallService.class);

    private final ClusterFs cfs;
    private final String node;
    private final GuestNics guests;
    private final Supplier<List<String>> localAddresses;
    private final NftApplier applier;
    private final Duration period;
    private final boolean hostByDefault;
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile ScheduledExecutorService timer;
    private final List<AutoCloseable> watches = new ArrayList<>();

    public FirewallService(ClusterFs cfs, String node, GuestNics guests, Supplier<List<String>> localAddresses,
                           NftApplier applier, Duration period) {
        this(cfs, node, guests, localAddresses, applier, period, true);
    }

    /** @param hostByDefault whether the host zone is filtered when {@code host.fw} does not set {@code enable} ({@link FwCompiler.Input}) */
    public FirewallService(ClusterFs cfs, String node, GuestNics guests, Supplier<List<String>> localAddresses,
                           NftApplier applier, Duration period, boolean hostByDefault) {
        this.hostByDefault = hostByDefault;
        this.cfs = cfs;
        this.node = node;
        this.guests = guests;
        this.localAddresses = localAddresses;
        this.applier = applier;
        this.period = period;
    }

    /** The compiler input as the cluster file system has it now. */
    public FwCompiler.Input input() {
        return FwInputs.read(ConfigReader.of(cfs), node, guests, localAddresses.get(), hostByDefault);
    }

    public FwCompiler.Output compile() {
        return FwCompiler.compile(input());
    }

    /** Compile and load now. */
    public synchronized NftApplier.Result update() {
        FwCompiler.Input in = input();
        FwCompiler.Output out = FwCompiler.compile(in);
        applier.sysctls(FwCompiler.sysctls(in));
        for (String w : out.warnings()) LOG.debug("firewall: {}", w);
        boolean bridge = !out.table("bridge").chains().isEmpty();
        return applier.apply(out.text(), bridge);
    }

    /** Start following the configuration (and load it once now). */
    public synchronized void start() {
        if (timer != null) return;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "firewall");
            t.setDaemon(true);
            return t;
        });
        for (String prefix : List.of("firewall", "nodes/" + node, "corosync.conf", "sdn")) watches.add(cfs.watch(prefix, p -> schedule()));
        timer.scheduleWithFixedDelay(this::safeUpdate, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void schedule() {
        ScheduledExecutorService t = timer;
        if (t != null && pending.compareAndSet(false, true)) t.schedule(() -> { pending.set(false); safeUpdate(); }, 200, TimeUnit.MILLISECONDS);
    }

    private void safeUpdate() {
        try {
            update();
        } catch (RuntimeException e) {
            LOG.error("firewall: update failed, the previous rules stay", e);
        }
    }

    /** Stop following the configuration; the loaded rules stay until {@link NftApplier#clear}. */
    @Override
    public synchronized void close() {
        for (AutoCloseable w : watches) {
            try { w.close(); } catch (Exception e) { LOG.debug("firewall: closing watch", e); }
        }
        watches.clear();
        if (timer != null) timer.shutdownNow();
        timer = null;
    }
}
