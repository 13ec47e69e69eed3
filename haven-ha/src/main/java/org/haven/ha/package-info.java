/**
 * High availability: PVE's HA manager (CRM, LRM, manager state machines) behind one {@link org.haven.ha.HaEnv}.
 *
 * <ul>
 *   <li>{@link org.haven.ha.Crm} competes for the manager lock and, as master, runs {@link org.haven.ha.Manager}
 *       (node states, service state machines, fencing, recovery, CRM commands, node selection with groups and
 *       the basic or static scheduler).</li>
 *   <li>{@link org.haven.ha.Lrm} holds the node's agent lock and watchdog while it runs services, executes the
 *       manager's requests (start, stop, migrate, relocate) and reports results by request UID.</li>
 *   <li>{@link org.haven.ha.HaEnv} is the only way out: time, quorum, locks, status and config files,
 *       watchdog, resource agents, hardware fencing. Implementations: {@link org.haven.ha.sim.SimEnv} (the
 *       simulator, {@code bin/ha-tester}) and {@link org.haven.ha.env.ClusterHaEnv} (a real node over
 *       {@link org.haven.core.cfs.ClusterFs}).</li>
 *   <li>{@link org.haven.ha.HaConfig} parses {@code ha/resources.cfg} and {@code ha/groups.cfg};
 *       {@link org.haven.ha.FenceConfig} parses {@code ha/fence.cfg}; {@link org.haven.ha.HaJson} reads and writes
 *       {@code ha/manager_status} and {@code nodes/<node>/lrm_status}.</li>
 *   <li>{@link org.haven.ha.api.HaApi} contributes {@code /cluster/ha/...} and holds the
 *       {@link org.haven.ha.api.HaResources} (e.g. for {@code qm start} of an HA-managed guest, which only changes
 *       the requested state). The node's CRM and LRM start when the module is made with a
 *       {@link org.haven.ha.env.ClusterHaEnv.ResourceDriver} for guests: in the daemon those of
 *       {@code org.haven.node.ha.HaGuestModule} (haven-node), whose {@code vm:} agent starts, shuts down and
 *       relocates guests through the VM module; it also answers the guests' power methods ({@code HaRequests} of
 *       haven-guest), so that {@code qm start|stop|shutdown} of an HA-managed guest goes through HA.</li>
 * </ul>
 *
 * <p><b>Failover timing.</b> PVE's timing is fixed: CRM/LRM round 10 s, watchdog clients 60 s, watchdog device
 * 10 s, HA lock lifetime 120 s, fence delay 60 s, so a failover takes about two minutes. Haven keeps these as
 * defaults and lets a cluster choose shorter ones in the Haven-owned cfs file {@code ha/haven-timing.cfg}
 * ({@code key: value} lines {@code round}, {@code watchdog_timeout}, {@code device_timeout}, {@code lock_lifetime},
 * {@code fence_delay}; PVE does not read it, and {@code datacenter.cfg} stays PVE's), set with
 * {@code pvesh set /cluster/ha/timing --lock_lifetime 18 ...} and read with {@code pvesh get /cluster/ha/timing}.
 * {@link org.haven.cfs.LockTable.HaTiming} parses and validates it: every value is at most PVE's, a watchdog
 * timeout covers a round plus 6 s, and {@code lock_lifetime > watchdog_timeout + device_timeout + 5 s}, so a node
 * that stops renewing its agent lock has reset itself (watchdog device, or the supervisor that kills the daemon and
 * its guests) before the lock expires and the master can take it. The API refuses other values (HTTP 400 on the
 * field); a file written otherwise that is not valid and safe is ignored as a whole by every node and by the cfs
 * (PVE's timing applies). The cfs state machine decides the lifetime of the HA locks from the replicated tree
 * alone: a lock renewed after the file's last change lives {@code lock_lifetime}, one renewed before keeps at
 * least 120 s (its holder may not have seen the change); other cfs locks keep 120 s. Every node re-reads the file
 * after each lock renewal and applies its watchdog timeouts before feeding, and a watchdog update counts from the
 * moment the lock was requested. With {@code fastest(2, 4)} (round 2, watchdog 8, device 4, lock 18, fence delay
 * 8 s) a real three-node failover takes about 25 s ({@code bench/ha}).
 *
 * <p>Deviations from PVE found by the random fault-schedule test, kept deliberately: a restarted LRM keeps
 * services it finds running under watchdog protection and takes its agent lock over from its predecessor;
 * frozen services are only unfrozen while their node is reachable; a master whose own node is marked for
 * fencing acknowledges it through its own agent lock; pending migrations do not keep a restarting LRM
 * from exiting.
 */
package org.haven.ha;
