package org.haven.guest.migrate;

import java.util.Optional;
import java.util.function.Consumer;

import org.haven.guest.config.GuestConfig;

/**
 * How a guest type moves a running guest (PVE's {@code phase2}, {@code phase2_cleanup} and the end of
 * {@code phase3} of a type's migrate class). {@link GuestMigrate} runs everything around it.
 */
public interface LiveMigration {

    /** Why the running guest cannot migrate live to {@code target} (checked under the config lock); empty when it can. */
    default Optional<String> refusal(GuestConfig cfg, String target, String targetAddress) { return Optional.empty(); }

    /** False for a type that cannot migrate running guests at all: {@link #refusal} is then the first check. */
    default boolean available() { return true; }

        /** Whether the running guest is paused now: it then stays paused on the target. */
    boolean paused(int vmid);

    /**
     * Phase 2: start the guest on {@code target}, waiting for its state, and send the state there. Local volumes
     * the type moves with the guest (mirrored disks) go into {@code placed} (source volume → volume on the target):
     * when the migration succeeds the framework points the config at them and frees the source's; when it fails,
     * {@link #phase2Cleanup} removes them from the target.
     */
    void phase2(GuestMigrate migration, int vmid, GuestMigrate.Options o, String source, String target,
                java.util.Map<String, String> placed, Consumer<String> log);

    /** After a failed phase 2: cancel, keep the source running, stop the guest started on the target and remove its new volumes. */
    void phase2Cleanup(GuestMigrate migration, int vmid, String source, String target, Consumer<String> log, boolean wasPaused);

    /** Phase 3 on the source: end the guest's process here (its config has moved). */
    void stopSource(int vmid);

    /** A type that cannot migrate running guests. */
    LiveMigration NONE = unsupported("live migration is not supported");

    /** A type that cannot migrate running guests, refusing with {@code message}. */
    static LiveMigration unsupported(String message) {
        return new LiveMigration() {
            @Override public boolean available() { return false; }
            @Override public Optional<String> refusal(GuestConfig cfg, String target, String targetAddress) { return Optional.of(message); }
            @Override public boolean paused(int vmid) { return false; }
            @Override public void phase2(GuestMigrate m, int vmid, GuestMigrate.Options o, String source, String target,
                                         java.util.Map<String, String> placed, Consumer<String> log) {
                throw new IllegalStateException(message);
            }
            @Override public void phase2Cleanup(GuestMigrate m, int vmid, String source, String target, Consumer<String> log, boolean wasPaused) {}
            @Override public void stopSource(int vmid) {}
        };
    }
}
