package org.haven.cfs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.haven.core.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status plane of the cluster file system (not consensus-replicated, as in pmxcfs): each node sends a
 * UDP datagram to every peer once a second carrying its identity, its key/value status and its newest
 * cluster log entries. A node is online while its datagrams arrive (offline after {@link #OFFLINE_AFTER_MS}).
 * It uses the same port number as the node's Raft (TCP) port.
 */
public final class StatusPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatusPlane.class);
    public static final long INTERVAL_MS = 1000;
    public static final long OFFLINE_AFTER_MS = 3500;
    /** Entries .clusterlog keeps (pmxcfs shows the last 50). */
    public static final int LOG_KEEP = 50;
    private static final int MAGIC = 0x48435350; // "HCSP"
    private static final int MAX_DATAGRAM = 60_000;

    /** What this node knows about a peer. */
    public record PeerState(String node, int nodeId, long epoch, String group, long lastSeenMillis, Map<String, byte[]> kv) {}

    private final String cluster;
    private final CfsNode self;
    private final Supplier<List<CfsNode>> peers;
    private final Clock clock;
    private final DatagramSocket socket;
    private final Map<String, PeerState> states = new HashMap<>();
    private final Map<String, byte[]> myKv = new TreeMap<>();
    /** Merged cluster log, keyed by node + uid, newest last. */
    private final LinkedHashMap<String, StatusFiles.LogEntry> log = new LinkedHashMap<>();
    private long logUid;
    private volatile long epoch;
    private volatile String group = "";
    private volatile boolean closed;
    private final Thread sender;
    private final Thread receiver;

    public StatusPlane(String cluster, CfsNode self, Supplier<List<CfsNode>> peers, Clock clock) {
        this.cluster = cluster;
        this.self = self;
        this.peers = peers;
        this.clock = clock;
        try {
            this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(self.host()), self.port()));
            socket.setSoTimeout(500);
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind status plane on " + self.address() + ": " + e.getMessage(), e);
        }
        this.sender = Thread.ofVirtual().name("cfs-status-send-" + self.name()).start(this::sendLoop);
        this.receiver = Thread.ofPlatform().daemon().name("cfs-status-recv-" + self.name()).start(this::receiveLoop);
    }

    public void setEpoch(long e) { epoch = e; }

    /** Raft group id announced with the epoch. */
    public void setGroup(String g) { group = g; }

    /** Sets (or with null removes) a key of this node's status. */
    public synchronized void setStatus(String key, byte[] value) {
        if (value == null) myKv.remove(key);
        else myKv.put(key, value.clone());
    }

    /** A key of a node's status (this node's own included). */
    public synchronized byte[] status(String node, String key) {
        if (node.equals(self.name())) return myKv.get(key);
        PeerState s = states.get(node);
        return s == null ? null : s.kv().get(key);
    }

    /** Adds an entry to the cluster log (sent to every node). */
    public synchronized void log(int pri, String tag, String user, String msg) {
        StatusFiles.LogEntry e = new StatusFiles.LogEntry(++logUid, clock.epochSeconds(), pri, tag,
                ProcessHandle.current().pid(), self.name(), user, msg);
        addLog(e);
    }

    private void addLog(StatusFiles.LogEntry e) {
        String key = e.node() + "/" + e.uid() + "/" + e.time();
        if (log.containsKey(key)) return;
        log.put(key, e);
        if (log.size() > 4 * LOG_KEEP) {
            List<Map.Entry<String, StatusFiles.LogEntry>> all = new ArrayList<>(log.entrySet());
            all.sort(Comparator.comparingLong(x -> x.getValue().time()));
            for (int i = 0; i < all.size() - 2 * LOG_KEEP; i++) log.remove(all.get(i).getKey());
        }
    }

    /** The newest {@code max} cluster log entries, newest first. */
    public synchronized List<StatusFiles.LogEntry> clusterLog(int max) {
        List<StatusFiles.LogEntry> all = new ArrayList<>(log.values());
        all.sort(Comparator.comparingLong(StatusFiles.LogEntry::time).thenComparing(StatusFiles.LogEntry::node)
                .thenComparingLong(StatusFiles.LogEntry::uid).reversed());
        return all.subList(0, Math.min(max, all.size()));
    }

    /** Nodes heard from recently, this node included. */
    public synchronized Set<String> online() {
        Set<String> out = new TreeSet<>();
        if (closed) return out;
        out.add(self.name());
        long now = System.currentTimeMillis();
        for (PeerState s : states.values()) if (now - s.lastSeenMillis() < OFFLINE_AFTER_MS) out.add(s.node());
        return out;
    }

    /** The online peer announcing the highest epoch, if any. */
    public synchronized java.util.Optional<PeerState> newestPeer() {
        long now = System.currentTimeMillis();
        PeerState best = null;
        for (PeerState s : states.values()) {
            if (now - s.lastSeenMillis() >= OFFLINE_AFTER_MS) continue;
            if (best == null || s.epoch() > best.epoch()) best = s;
        }
        return java.util.Optional.ofNullable(best);
    }

    public synchronized Map<String, PeerState> peerStates() { return Map.copyOf(states); }

    private void sendLoop() {
        while (!closed) {
            try {
                byte[] msg = encode();
                for (CfsNode p : peers.get()) {
                    if (p.name().equals(self.name())) continue;
                    try {
                        socket.send(new DatagramPacket(msg, msg.length, new InetSocketAddress(p.host(), p.port())));
                    } catch (IOException e) {
                        LOG.debug("status to {}: {}", p.name(), e.getMessage());
                    }
                }
                Thread.sleep(INTERVAL_MS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("status plane send failed", e);
            }
        }
    }

    private void receiveLoop() {
        byte[] buf = new byte[65_536];
        while (!closed) {
            DatagramPacket pkt = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(pkt);
                decode(pkt.getData(), pkt.getLength());
            } catch (SocketTimeoutException e) {
                // loop to check closed
            } catch (SocketException e) {
                if (!closed) LOG.warn("status plane socket: {}", e.getMessage());
                return;
            } catch (IOException | RuntimeException e) {
                LOG.debug("bad status datagram: {}", e.toString());
            }
        }
    }

    private synchronized byte[] encode() {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(1024);
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.writeInt(MAGIC);
            out.writeUTF(cluster);
            out.writeUTF(self.name());
            out.writeInt(self.nodeId());
            out.writeLong(epoch);
            out.writeUTF(group);
            int kvBytes = 0;
            List<Map.Entry<String, byte[]>> kv = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : myKv.entrySet()) {
                kvBytes += e.getKey().length() + e.getValue().length;
                if (kvBytes > MAX_DATAGRAM / 2) break;
                kv.add(e);
            }
            out.writeInt(kv.size());
            for (Map.Entry<String, byte[]> e : kv) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
            List<StatusFiles.LogEntry> mine = new ArrayList<>();
            for (StatusFiles.LogEntry e : log.values()) if (e.node().equals(self.name())) mine.add(e);
            if (mine.size() > LOG_KEEP) mine = mine.subList(mine.size() - LOG_KEEP, mine.size());
            int room = MAX_DATAGRAM - bos.size() - 8;
            List<StatusFiles.LogEntry> send = new ArrayList<>();
            for (int i = mine.size() - 1; i >= 0; i--) {
                StatusFiles.LogEntry e = mine.get(i);
                room -= 64 + e.tag().length() + e.user().length() + 3 * e.msg().length();
                if (room < 0) break;
                send.add(e);
            }
            out.writeInt(send.size());
            for (StatusFiles.LogEntry e : send) {
                out.writeLong(e.uid());
                out.writeLong(e.time());
                out.writeInt(e.pri());
                out.writeUTF(e.tag());
                out.writeLong(e.pid());
                out.writeUTF(e.user());
                out.writeUTF(e.msg().length() > 4000 ? e.msg().substring(0, 4000) : e.msg());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bos.toByteArray();
    }

    private void decode(byte[] data, int len) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, len));
        if (in.readInt() != MAGIC) return;
        if (!in.readUTF().equals(cluster)) return;
        String node = in.readUTF();
        int nodeId = in.readInt();
        long ep = in.readLong();
        String grp = in.readUTF();
        if (node.equals(self.name())) return;
        int n = in.readInt();
        Map<String, byte[]> kv = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String k = in.readUTF();
            byte[] v = new byte[in.readInt()];
            in.readFully(v);
            kv.put(k, v);
        }
        int m = in.readInt();
        List<StatusFiles.LogEntry> entries = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            long uid = in.readLong();
            long time = in.readLong();
            int pri = in.readInt();
            String tag = in.readUTF();
            long pid = in.readLong();
            String user = in.readUTF();
            String msg = in.readUTF();
            entries.add(new StatusFiles.LogEntry(uid, time, pri, tag, pid, node, user, msg));
        }
        boolean known = peers.get().stream().anyMatch(p -> p.name().equals(node));
        if (!known) return;
        synchronized (this) {
            states.put(node, new PeerState(node, nodeId, ep, grp, System.currentTimeMillis(), kv));
            for (StatusFiles.LogEntry e : entries) addLog(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        sender.interrupt();
        socket.close();
        try {
            receiver.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
