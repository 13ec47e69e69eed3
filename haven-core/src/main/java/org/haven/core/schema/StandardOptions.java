package org.haven.core.schema;

/**
 * The parameter schemas PVE shares between methods (PVE's {@code get_standard_option}). Each call returns
 * a fresh copy, so callers may adjust it ({@code .optional()}, another description).
 */
public final class StandardOptions {
    private StandardOptions() {}

    public static Schema node() { return Schema.string().format("pve-node").description("The cluster node name."); }

    public static Schema vmid() {
        return Schema.integer().format("pve-vmid").minimum(100).maximum(999999999).description("The (unique) ID of the VM.");
    }

    public static Schema vmidList() { return Schema.string().format("pve-vmid-list").description("List of VM IDs."); }

    public static Schema storageId() { return Schema.string().format("pve-storage-id").description("The storage identifier."); }

    public static Schema userid() {
        return Schema.string().format("pve-userid").description("Full User ID, in the `name@realm` format.");
    }

    public static Schema tokenid() {
        return Schema.string().format("pve-tokenid").description("User-specific token identifier.");
    }

    public static Schema realm() { return Schema.string().format("pve-realm").description("Authentication domain ID"); }

    public static Schema poolid() { return Schema.string().format("pve-poolid").description("Pool ID"); }

    public static Schema groupid() { return Schema.string().format("pve-groupid"); }

    public static Schema roleid() { return Schema.string().format("pve-roleid"); }

    public static Schema volumeId() { return Schema.string().format("pve-volume-id").description("Volume identifier"); }

    public static Schema configDigest() {
        return Schema.string().maxLength(64).optional()
                .description("Prevent changes if current configuration file has a different digest. This can be used to prevent concurrent modifications.");
    }

    public static Schema skiplock() {
        return Schema.bool().optional().description("Ignore locks - only root is allowed to use this option.");
    }

    public static Schema upid() { return Schema.string().description("The task's unique ID."); }

    public static Schema haResourceId() {
        return Schema.string().format("pve-ha-resource-or-vm-id").typetext("<type>:<name>")
                .description("HA resource ID. This consists of a resource type followed by a resource specific name, separated with colon (example: vm:100 / ct:100). For virtual machines and containers, you can simply use the VM or CT id as a shortcut (example: 100).");
    }
}
