package org.haven.ha;

/**
 * One HA resource as configured in {@code ha/resources.cfg}, with defaults applied.
 *
 * @param state requested state: started, stopped, disabled or ignored
 */
public record ServiceConfig(String sid, String type, String name, String node, String state, String group,
                            int maxRestart, int maxRelocate, boolean failback, String comment) {

    public ServiceConfig withState(String newState) {
        return new ServiceConfig(sid, type, name, node, newState, group, maxRestart, maxRelocate, failback, comment);
    }

    public ServiceConfig withNode(String newNode) {
        return new ServiceConfig(sid, type, name, newNode, state, group, maxRestart, maxRelocate, failback, comment);
    }

    /** The placeholder used for services that have a status but no configuration. */
    public static ServiceConfig disabled(String sid) {
        Sid s = Sid.parse(sid);
        return new ServiceConfig(sid, s.type(), s.name(), null, "disabled", null, 1, 1, true, null);
    }
}
