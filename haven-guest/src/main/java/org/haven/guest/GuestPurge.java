package org.haven.guest;

import java.util.function.Consumer;

/**
 * A port through which a destroy with {@code purge} removes the guest from configurations other modules own
 * (replication jobs, backup jobs, ACLs and pools), as PVE's destroy does with {@code remove_vmid_jobs},
 * {@code remove_vmid_from_backup_jobs} and {@code remove_vm_access}.
 */
@FunctionalInterface
public interface GuestPurge {
    void purge(GuestType type, int vmid, Consumer<String> log);
}
