package org.haven.access;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * PVE's privileges and built-in ("special") roles. The built-in roles are derived from privilege groups the
 * same way PVE does it: for each category, {@code PVE<cat>Admin} gets the admin, user and audit privileges,
 * {@code PVE<cat>User} the user and audit ones (when the category has user privileges), {@code PVEAdmin} every
 * admin/user/audit privilege, {@code PVEAuditor} every audit privilege. Root-only privileges belong to
 * {@code Administrator} alone.
 */
public final class Privileges {
    private Privileges() {}

    private record Group(String name, List<String> root, List<String> admin, List<String> user, List<String> audit) {}

    private static final List<Group> GROUPS = List.of(
            new Group("VM", List.of(),
                    List.of("VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.HWType",
                            "VM.Config.Options", "VM.Allocate", "VM.Clone", "VM.Migrate", "VM.Monitor", "VM.Snapshot",
                            "VM.Snapshot.Rollback"),
                    List.of("VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console", "VM.Backup", "VM.PowerMgmt"),
                    List.of("VM.Audit")),
            new Group("Sys", List.of("Sys.PowerMgmt", "Sys.Modify", "Sys.Incoming", "Sys.AccessNetwork"),
                    List.of("Sys.Console", "Sys.Syslog"),
                    List.of(),
                    List.of("Sys.Audit")),
            new Group("Datastore", List.of(),
                    List.of("Datastore.Allocate", "Datastore.AllocateTemplate"),
                    List.of("Datastore.AllocateSpace"),
                    List.of("Datastore.Audit")),
            new Group("SDN", List.of(),
                    List.of("SDN.Allocate", "SDN.Audit"),
                    List.of("SDN.Use"),
                    List.of("SDN.Audit")),
            new Group("User", List.of("Realm.Allocate"),
                    List.of("User.Modify", "Group.Allocate", "Realm.AllocateUser"),
                    List.of(),
                    List.of()),
            new Group("Pool", List.of(),
                    List.of("Pool.Allocate"),
                    List.of("Pool.Audit"),
                    List.of("Pool.Audit")),
            new Group("Mapping", List.of(),
                    List.of("Mapping.Modify"),
                    List.of("Mapping.Use"),
                    List.of("Mapping.Audit")));

    /** Every valid privilege, sorted. */
    public static final Set<String> ALL;
    /** Built-in roles, sorted by name, each with its sorted privilege set. */
    public static final Map<String, Set<String>> BUILTIN_ROLES;

    static {
        TreeSet<String> all = new TreeSet<>();
        all.add("Permissions.Modify");
        Map<String, TreeSet<String>> roles = new TreeMap<>();
        roles.put("NoAccess", new TreeSet<>());
        for (Group g : GROUPS) {
            all.addAll(g.root);
            all.addAll(g.admin);
            all.addAll(g.user);
            all.addAll(g.audit);
            TreeSet<String> admin = roles.computeIfAbsent("PVE" + g.name + "Admin", k -> new TreeSet<>());
            admin.addAll(g.admin);
            admin.addAll(g.user);
            admin.addAll(g.audit);
            TreeSet<String> pveAdmin = roles.computeIfAbsent("PVEAdmin", k -> new TreeSet<>());
            pveAdmin.addAll(admin);
            if (!g.user.isEmpty()) {
                TreeSet<String> user = roles.computeIfAbsent("PVE" + g.name + "User", k -> new TreeSet<>());
                user.addAll(g.user);
                user.addAll(g.audit);
            }
            roles.computeIfAbsent("PVEAuditor", k -> new TreeSet<>()).addAll(g.audit);
        }
        roles.put("PVETemplateUser", new TreeSet<>(List.of("VM.Clone", "VM.Audit")));
        roles.put("Administrator", new TreeSet<>(all));
        ALL = Collections.unmodifiableSortedSet(all);
        LinkedHashMap<String, Set<String>> out = new LinkedHashMap<>();
        roles.forEach((k, v) -> out.put(k, Collections.unmodifiableSortedSet(v)));
        BUILTIN_ROLES = Collections.unmodifiableMap(out);
    }

    public static boolean isValid(String priv) { return ALL.contains(priv); }

    public static boolean isBuiltinRole(String role) { return BUILTIN_ROLES.containsKey(role); }

    /** PVE's check: throws {@code invalid privilege '<priv>'} for an unknown privilege. */
    public static String verify(String priv) {
        if (!isValid(priv)) throw new IllegalArgumentException("invalid privilege '" + priv + "'");
        return priv;
    }
}
