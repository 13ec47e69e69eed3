package org.haven.cfs;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Named leases with pmxcfs semantics: a lock belongs to an owner, and expires
 * {@link #LIFETIME_MILLIS} after it was taken or last refreshed; an expired lock may be taken by anyone.
 * Pure logic: the caller passes the current time. Not thread-safe; callers synchronise.
 */
public final class LockTable {
    /** pmxcfs lock lifetime: 120 s after the last refresh. */
    public static final long LIFETIME_MILLIS = 120_000;

    public record Lease(Object owner, long expiresAtMillis, int holds) {}

    private final Map<String, Lease> leases = new HashMap<>();
    private final long lifetime;

    public LockTable() { this(LIFETIME_MILLIS); }

    public LockTable(long lifetimeMillis) { this.lifetime = lifetimeMillis; }

    /**
     * Takes the lock for {@code owner}, or refreshes it when {@code owner} already holds it. With
     * {@code reentrant} a repeated take by the same owner counts holds; otherwise it only refreshes.
     * Returns false when another owner holds an unexpired lease.
     */
    public boolean tryAcquire(String name, Object owner, long now, boolean reentrant) {
        Lease l = leases.get(name);
        if (l == null || l.expiresAtMillis() <= now) {
            leases.put(name, new Lease(owner, now + lifetime, 1));
            return true;
        }
        if (l.owner().equals(owner)) {
            leases.put(name, new Lease(owner, now + lifetime, reentrant ? l.holds() + 1 : l.holds()));
            return true;
        }
        return false;
    }

    /** Refreshes a lease held by {@code owner}; false when it is not held by it (or expired and taken). */
    public boolean refresh(String name, Object owner, long now) {
        Lease l = leases.get(name);
        if (l == null || !l.owner().equals(owner)) return false;
        if (l.expiresAtMillis() <= now) { leases.remove(name); return false; }
        leases.put(name, new Lease(owner, now + lifetime, l.holds()));
        return true;
    }

    /** Drops one hold of {@code owner} (all holds with {@code all}); returns true when the lock is now free. */
    public boolean release(String name, Object owner, boolean all) {
        Lease l = leases.get(name);
        if (l == null || !l.owner().equals(owner)) return false;
        if (all || l.holds() <= 1) { leases.remove(name); return true; }
        leases.put(name, new Lease(owner, l.expiresAtMillis(), l.holds() - 1));
        return false;
    }

    /** The current unexpired lease of {@code name}. */
    public Optional<Lease> lease(String name, long now) {
        Lease l = leases.get(name);
        return l == null || l.expiresAtMillis() <= now ? Optional.empty() : Optional.of(l);
    }
}
