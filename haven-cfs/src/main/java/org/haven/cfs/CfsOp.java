package org.haven.cfs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A change to the tree as it travels through the replicated log: the operation plus the writer's node id and
 * the proposer's clock, so that every replica applies it identically. Binary encoding with a version byte.
 */
public sealed interface CfsOp {
    /** Write a file; {@code expectVersion} -1 = unconditional, 0 = must not exist, otherwise the current version. */
    record Write(String path, byte[] data, long expectVersion) implements CfsOp {}
    record Mkdirs(String path) implements CfsOp {}
    record Delete(String path) implements CfsOp {}
    record Rename(String from, String to) implements CfsOp {}
    record Lock(String name, MemTree.LockMode mode) implements CfsOp {}
    /** No change; used as a barrier (its commit orders it after every earlier write). */
    record Noop() implements CfsOp {}

    /** An operation with its writer and time. */
    record Envelope(int writer, long timeMillis, CfsOp op) {}

    /** Outcome of applying an operation: {@code errno} null on success; {@code changed} are the changed paths. */
    record Result(Errno errno, String errPath, boolean flag, long version, List<String> changed) {
        public boolean ok() { return errno == null; }

        public static Result fail(Errno.Failure f, long version) { return new Result(f.errno, f.path, false, version, List.of()); }
    }

    byte FORMAT = 1;

    /** Apply to {@code tree}; a failure leaves the tree unchanged. */
    static Result apply(MemTree tree, Envelope env) {
        int w = env.writer();
        long t = env.timeMillis();
        try {
            return switch (env.op()) {
                case Write wr -> {
                    if (wr.expectVersion() > 0) {
                        MemTree.Node cur = tree.lookup(wr.path()).orElse(null);
                        if (cur == null || cur.isDir() || cur.version() != wr.expectVersion()) throw Errno.ESTALE.at(wr.path());
                    }
                    long v = tree.write(wr.path(), wr.data(), wr.expectVersion() == 0, w, t);
                    yield new Result(null, null, true, v, List.of(wr.path()));
                }
                case Mkdirs m -> {
                    List<String> created = tree.mkdirs(m.path(), w, t);
                    yield new Result(null, null, !created.isEmpty(), tree.version(), created);
                }
                case Delete d -> {
                    boolean removed = tree.delete(d.path(), w, t);
                    yield new Result(null, null, removed, tree.version(), removed ? List.of(d.path()) : List.of());
                }
                case Rename r -> {
                    String to = tree.rename(r.from(), r.to(), w, t);
                    yield new Result(null, null, true, tree.version(), to.equals(r.from()) ? List.of() : List.of(r.from(), to));
                }
                case Lock l -> {
                    long before = tree.version();
                    String p = tree.lock(l.name(), l.mode(), w, t);
                    yield new Result(null, null, true, tree.version(), tree.version() == before ? List.of() : List.of(p));
                }
                case Noop n -> new Result(null, null, true, tree.version(), List.of());
            };
        } catch (Errno.Failure f) {
            return Result.fail(f, tree.version());
        }
    }

    static byte[] encode(Envelope env) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.writeByte(FORMAT);
            out.writeInt(env.writer());
            out.writeLong(env.timeMillis());
            switch (env.op()) {
                case Write w -> { out.writeByte(1); out.writeUTF(w.path()); out.writeLong(w.expectVersion()); out.writeInt(w.data().length); out.write(w.data()); }
                case Mkdirs m -> { out.writeByte(2); out.writeUTF(m.path()); }
                case Delete d -> { out.writeByte(3); out.writeUTF(d.path()); }
                case Rename r -> { out.writeByte(4); out.writeUTF(r.from()); out.writeUTF(r.to()); }
                case Lock l -> { out.writeByte(5); out.writeUTF(l.name()); out.writeByte(l.mode().ordinal()); }
                case Noop n -> out.writeByte(6);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    static Envelope decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int fmt = in.readByte();
            if (fmt != FORMAT) throw new IllegalArgumentException("unknown cfs op format " + fmt);
            int writer = in.readInt();
            long time = in.readLong();
            int kind = in.readByte();
            CfsOp op = switch (kind) {
                case 1 -> {
                    String p = in.readUTF();
                    long ev = in.readLong();
                    byte[] d = new byte[in.readInt()];
                    in.readFully(d);
                    yield new Write(p, d, ev);
                }
                case 2 -> new Mkdirs(in.readUTF());
                case 3 -> new Delete(in.readUTF());
                case 4 -> new Rename(in.readUTF(), in.readUTF());
                case 5 -> new Lock(in.readUTF(), MemTree.LockMode.values()[in.readByte()]);
                case 6 -> new Noop();
                default -> throw new IllegalArgumentException("unknown cfs op " + kind);
            };
            return new Envelope(writer, time, op);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    byte BATCH = 2;
    byte GROUPS = 3;

    /**
     * Changes a node proposed together under one attempt {@code id}. They take effect only when the log entry
     * carrying them has the Raft term {@code term} in which the leader accepted them (-1: in any term), so a
     * copy re-sent by a later leader is skipped instead of applied twice.
     */
    record Group(long term, long id, List<Envelope> envelopes) {}

    /** A group of envelopes already encoded with {@link #encode(Envelope)}. */
    static byte[] encodeGroup(long term, long id, List<byte[]> encoded) {
        int size = 20;
        for (byte[] one : encoded) size += 4 + one.length;
        ByteArrayOutputStream bos = new ByteArrayOutputStream(size);
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.writeLong(term);
            out.writeLong(id);
            writeAll(out, encoded);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    /** Term and attempt id of an encoded group, without decoding its envelopes. */
    static long[] groupHeader(byte[] group) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(group))) {
            return new long[] {in.readLong(), in.readLong()};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A log entry of groups encoded with {@link #encodeGroup}. */
    static byte[] entryOf(List<byte[]> groups) {
        int size = 5;
        for (byte[] one : groups) size += 4 + one.length;
        ByteArrayOutputStream bos = new ByteArrayOutputStream(size);
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.writeByte(GROUPS);
            writeAll(out, groups);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    /**
     * The groups of a log entry. Entries of the earlier formats (one envelope, or a plain batch of them) are one
     * group that applies in any term.
     */
    static List<Group> decodeEntry(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (bytes.length > 0 && bytes[0] == GROUPS) {
                in.readByte();
                List<Group> groups = new ArrayList<>();
                for (byte[] g : readAll(in)) {
                    try (DataInputStream gin = new DataInputStream(new ByteArrayInputStream(g))) {
                        long term = gin.readLong();
                        long id = gin.readLong();
                        groups.add(new Group(term, id, readAll(gin).stream().map(CfsOp::decode).toList()));
                    }
                }
                return groups;
            }
            if (bytes.length > 0 && bytes[0] == BATCH) {
                in.readByte();
                return List.of(new Group(-1, 0, readAll(in).stream().map(CfsOp::decode).toList()));
            }
            return List.of(new Group(-1, 0, List.of(decode(bytes))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeAll(DataOutputStream out, List<byte[]> parts) throws IOException {
        out.writeInt(parts.size());
        for (byte[] one : parts) {
            out.writeInt(one.length);
            out.write(one);
        }
    }

    private static List<byte[]> readAll(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] one = new byte[in.readInt()];
            in.readFully(one);
            out.add(one);
        }
        return out;
    }
}
