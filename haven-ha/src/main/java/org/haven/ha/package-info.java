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
 *   <li>{@link org.haven.ha.api.HaApi} contributes {@code /cluster/ha/...} and publishes
 *       {@link org.haven.ha.api.HaResources} (e.g. for {@code qm start} of an HA-managed guest, which only changes
 *       the requested state). The node's CRM and LRM start when a
 *       {@link org.haven.ha.env.ClusterHaEnv.ResourceDriver} for guests is published: in the daemon that is
 *       {@code org.haven.node.ha.HaGuestModule} (haven-node), whose {@code vm:} agent starts, shuts down and
 *       relocates guests through the VM module and keeps their PIDs in {@code <run>/ha-guest-pids/} for the
 *       watchdog supervisor; it also routes {@code qm start|stop|shutdown} of HA-managed guests through HA.</li>
 * </ul>
 *
 * <p>Deviations from PVE found by the random fault-schedule test, kept deliberately: a restarted LRM keeps
 * services it finds running under watchdog protection and takes its agent lock over from its predecessor;
 * frozen services are only unfrozen while their node is reachable; a master whose own node is marked for
 * fencing acknowledges it through its own agent lock; pending migrations do not keep a restarting LRM
 * from exiting.
 */
package org.haven.ha;
