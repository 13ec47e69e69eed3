package org.haven.cfs;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * Named leases with pmxcfs semantics: a lock belongs to an owner, and expires a lifetime after it was taken or
 * last refreshed ({@link #LIFETIME_MILLIS}, pmxcfs's 120 s, unless the lifetime function says otherwise); an
 * expired lock may be taken by anyone. Pure logic: the caller passes the current time. Not thread-safe;
 * callers synchronise.
 *
 * <p>The lifetime of the HA locks ({@code ha_manager_lock}, {@code ha_agent_<node>_lock}) follows the
 * cluster-wide {@link HaTiming} in the Haven-owned file {@value #HA_TIMING_FILE}; see
 * {@link #haLockLifetimeMillis}. All other locks keep pmxcfs's fixed 120 s.
 */
public final class LockTable {
    /** pmxcfs lock lifetime: 120 s after the last refresh. */
    public static final long LIFETIME_MILLIS = 120_000;

    /** The Haven-owned HA timing file in the cluster file system (not read by PVE). */
    public static final String HA_TIMING_FILE = "ha/haven-timing.cfg";

    public record Lease(Object owner, long expiresAtMillis, int holds) {}

    private final Map<String, Lease> leases = new HashMap<>();
    private final ToLongFunction<String> lifetime;

    public LockTable() { this(LIFETIME_MILLIS); }

    public LockTable(long lifetimeMillis) { this(name -> lifetimeMillis); }

    /** {@code lifetimeMillis} gives the lifetime of a lock taken or refreshed now, by lock name. */
    public LockTable(ToLongFunction<String> lifetimeMillis) { this.lifetime = lifetimeMillis; }

    /**
     * Takes the lock for {@code owner}, or refreshes it when {@code owner} already holds it. With
     * {@code reentrant} a repeated take by the same owner counts holds; otherwise it only refreshes.
     * Returns false when another owner holds an unexpired lease.
     */
    public boolean tryAcquire(String name, Object owner, long now, boolean reentrant) {
        Lease l = leases.get(name);
        if (l == null || l.expiresAtMillis() <= now) {
            leases.put(name, new Lease(owner, now + lifetime.applyAsLong(name), 1));
            return true;
        }
        if (l.owner().equals(owner)) {
            leases.put(name, new Lease(owner, now + lifetime.applyAsLong(name), reentrant ? l.holds() + 1 : l.holds()));
            return true;
        }
        return false;
    }

    /** Refreshes a lease held by {@code owner}; false when it is not held by it (or expired and taken). */
    public boolean refresh(String name, Object owner, long now) {
        Lease l = leases.get(name);
        if (l == null || !l.owner().equals(owner)) return false;
        if (l.expiresAtMillis() <= now) { leases.remove(name); return false; }
        leases.put(name, new Lease(owner, now + lifetime.applyAsLong(name), l.holds()));
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

    // ------------------------------------------------------------------ HA lock lifetime

    /** The HA manager's locks: {@code ha_manager_lock} and {@code ha_agent_<node>_lock}. */
    public static boolean isHaLock(String name) {
        return name.equals("ha_manager_lock") || (name.startsWith("ha_agent_") && name.endsWith("_lock") && name.length() > 14);
    }

    /**
     * Lifetime of the lock {@code name} in a replicated tree, decided from tree state only, so that every replica
     * decides alike: non-HA locks live {@link #LIFETIME_MILLIS}. An HA lock lives the {@link HaTiming#lockLifetime()}
     * of the timing file (PVE's 120 s when the file is missing or not valid) when its last refresh was applied
     * after the file's last change ({@code lockVersion > fileVersion}); a lock last refreshed before the change
     * keeps at least PVE's 120 s, because its holder may still run with the watchdog timeout of the previous
     * setting (a node cut off before the change never learns the new one).
     */
    public static long haLockLifetimeMillis(String name, long lockVersion, byte[] timingFile, long fileVersion) {
        if (!isHaLock(name) || timingFile == null) return LIFETIME_MILLIS;
        long configured = HaTiming.effective(new String(timingFile, StandardCharsets.UTF_8)).lockLifetime() * 1000;
        if (lockVersion < fileVersion) return Math.max(configured, LIFETIME_MILLIS);
        return configured;
    }

    /**
     * Lifetime of a lock taken or refreshed now on a single, non-replicated node: the configured HA lock
     * lifetime for HA locks (the file is read synchronously, so no holder can run on an older setting; leases
     * taken before a change keep their expiry until refreshed).
     */
    public static long haLockLifetimeMillis(String name, String timingFile) {
        if (!isHaLock(name) || timingFile == null) return LIFETIME_MILLIS;
        return HaTiming.effective(timingFile).lockLifetime() * 1000;
    }

    /**
     * The cluster-wide failover timing of the HA stack, in seconds, kept in {@value #HA_TIMING_FILE} as
     * {@code key: value} lines ({@code #} comments allowed); missing keys take PVE's values:
     * <ul>
     *   <li>{@code round} (10): pause between two CRM or LRM rounds;</li>
     *   <li>{@code watchdog_timeout} (60): a CRM or LRM that has not updated its watchdog client for this long
     *       stops the feeding of the node's watchdog;</li>
     *   <li>{@code device_timeout} (10): the watchdog device (or supervisor) resets the node this long after
     *       its last feed;</li>
     *   <li>{@code lock_lifetime} (120): the HA locks expire this long after their last refresh;</li>
     *   <li>{@code fence_delay} (60): the manager fences a node's services once the node has been offline
     *       this long.</li>
     * </ul>
     * Safety: a node that stops refreshing its agent lock has reset itself within
     * {@code watchdog_timeout + device_timeout} (plus rounding: whole-second lock times and clocks, the 1 s feeding
     * period, clock skew between nodes), so {@code lock_lifetime} must exceed that by {@link #MARGIN}.
     * All values are at most PVE's: the setting only makes failover faster.
     */
    public record HaTiming(long round, long watchdogTimeout, long deviceTimeout, long lockLifetime, long fenceDelay) {
        /** PVE's fixed timing. */
        public static final HaTiming PVE = new HaTiming(10, 60, 10, 120, 60);
        /** Seconds between a node's self-fencing deadline and the expiry of its locks. */
        public static final long MARGIN = 5;
        /** Seconds a round may overrun its pause (the LRM waits up to 5 s for its workers) plus one. */
        public static final long ROUND_SLACK = 6;

        public static final String ROUND = "round";
        public static final String WATCHDOG_TIMEOUT = "watchdog_timeout";
        public static final String DEVICE_TIMEOUT = "device_timeout";
        public static final String LOCK_LIFETIME = "lock_lifetime";
        public static final String FENCE_DELAY = "fence_delay";
        /** The keys in file order. */
        public static final java.util.List<String> KEYS = java.util.List.of(ROUND, WATCHDOG_TIMEOUT, DEVICE_TIMEOUT,
            LOCK_LIFETIME, FENCE_DELAY);

        /** The value of {@code key}. */
        public long get(String key) {
            return switch (key) {
                case ROUND -> round;
                case WATCHDOG_TIMEOUT -> watchdogTimeout;
                case DEVICE_TIMEOUT -> deviceTimeout;
                case LOCK_LIFETIME -> lockLifetime;
                case FENCE_DELAY -> fenceDelay;
                default -> throw new IllegalArgumentException("unknown HA timing key '" + key + "'");
            };
        }

        /** A copy with {@code key} set to {@code value} (not validated). */
        public HaTiming with(String key, long value) {
            return switch (key) {
                case ROUND -> new HaTiming(value, watchdogTimeout, deviceTimeout, lockLifetime, fenceDelay);
                case WATCHDOG_TIMEOUT -> new HaTiming(round, value, deviceTimeout, lockLifetime, fenceDelay);
                case DEVICE_TIMEOUT -> new HaTiming(round, watchdogTimeout, value, lockLifetime, fenceDelay);
                case LOCK_LIFETIME -> new HaTiming(round, watchdogTimeout, deviceTimeout, value, fenceDelay);
                case FENCE_DELAY -> new HaTiming(round, watchdogTimeout, deviceTimeout, lockLifetime, value);
                default -> throw new IllegalArgumentException("unknown HA timing key '" + key + "'");
            };
        }

        /** Problems of this setting by key (empty when it is valid and safe), in {@link #KEYS} order. */
        public Map<String, String> problems() {
            Map<String, String> out = new LinkedHashMap<>();
            range(out, ROUND, round, 1, PVE.round);
            range(out, WATCHDOG_TIMEOUT, watchdogTimeout, 1, PVE.watchdogTimeout);
            range(out, DEVICE_TIMEOUT, deviceTimeout, 1, PVE.deviceTimeout);
            range(out, LOCK_LIFETIME, lockLifetime, 1, PVE.lockLifetime);
            range(out, FENCE_DELAY, fenceDelay, 0, PVE.fenceDelay);
            if (!out.containsKey(WATCHDOG_TIMEOUT) && !out.containsKey(ROUND) && watchdogTimeout < round + ROUND_SLACK) {
                out.put(WATCHDOG_TIMEOUT, "watchdog_timeout (" + watchdogTimeout + " s) must be at least round + "
                    + ROUND_SLACK + " s (" + (round + ROUND_SLACK) + " s), or a busy round resets the node");
            }
            if (out.isEmpty() && lockLifetime <= watchdogTimeout + deviceTimeout + MARGIN) {
                out.put(LOCK_LIFETIME, "unsafe: lock_lifetime (" + lockLifetime + " s) must be more than watchdog_timeout"
                    + " + device_timeout + safety margin (" + watchdogTimeout + " + " + deviceTimeout + " + " + MARGIN + " = "
                    + (watchdogTimeout + deviceTimeout + MARGIN) + " s): a node must have reset itself before its"
                    + " agent lock can be taken by the manager");
            }
            return out;
        }

        private static void range(Map<String, String> out, String key, long v, long min, long max) {
            if (v < min || v > max) out.put(key, key + " must be between " + min + " and " + max + " s (got " + v + ")");
        }

        /** Throws {@link IllegalArgumentException} with the first problem when the setting is not valid and safe. */
        public HaTiming validate() {
            Map<String, String> p = problems();
            if (!p.isEmpty()) throw new IllegalArgumentException(p.values().iterator().next());
            return this;
        }

        /** The fastest safe setting for a given round: the smallest watchdog, device and lock times allowed. */
        public static HaTiming fastest(long round, long deviceTimeout) {
            long wd = round + ROUND_SLACK;
            return new HaTiming(round, wd, deviceTimeout, wd + deviceTimeout + MARGIN + 1, Math.min(PVE.fenceDelay, wd))
                .validate();
        }

        /**
         * Parses the file; throws {@link IllegalArgumentException} on syntax errors, unknown or repeated keys and
         * values that are not whole seconds. Does not validate (see {@link #validate()}).
         */
        public static HaTiming parse(String text) {
            HaTiming t = PVE;
            java.util.Set<String> seen = new java.util.HashSet<>();
            int lineNo = 0;
            for (String raw : text.split("\n", -1)) {
                lineNo++;
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                int c = line.indexOf(':');
                if (c <= 0) throw new IllegalArgumentException("line " + lineNo + ": expected 'key: value'");
                String key = line.substring(0, c).strip();
                String value = line.substring(c + 1).strip();
                if (!KEYS.contains(key)) throw new IllegalArgumentException("line " + lineNo + ": unknown key '" + key + "'");
                if (!seen.add(key)) throw new IllegalArgumentException("line " + lineNo + ": duplicate key '" + key + "'");
                if (!value.matches("[0-9]{1,9}")) {
                    throw new IllegalArgumentException("line " + lineNo + ": " + key + ": value '" + value + "' is not a whole number of seconds");
                }
                t = t.with(key, Long.parseLong(value));
            }
            return t;
        }

        /** The setting a node and the lock table use: the parsed file when it is valid and safe, else PVE's. */
        public static HaTiming effective(String text) {
            if (text == null) return PVE;
            try {
                return parse(text).validate();
            } catch (IllegalArgumentException e) {
                return PVE;
            }
        }

        /** The file text: every key in {@link #KEYS} order. */
        public String format() {
            StringBuilder sb = new StringBuilder("# Haven HA timing in seconds (PVE: round 10, watchdog_timeout 60,"
                + " device_timeout 10, lock_lifetime 120, fence_delay 60)\n");
            for (String k : KEYS) sb.append(k).append(": ").append(get(k)).append('\n');
            return sb.toString();
        }
    }
}
