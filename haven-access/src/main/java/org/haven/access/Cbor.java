package org.haven.access;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small CBOR (RFC 8949) decoder for WebAuthn: unsigned and negative integers (as {@link Long}), byte strings
 * ({@code byte[]}), text strings, arrays ({@link List}), maps ({@link Map}, keys as decoded), booleans and null.
 * Indefinite lengths, tags and floats are rejected.
 */
final class Cbor {
    private final byte[] in;
    private int pos;

    private Cbor(byte[] in, int pos) { this.in = in; this.pos = pos; }

    /** Decode one item starting at {@code offset}; {@link Result#end} is the offset after it. */
    record Result(Object value, int end) {}

    static Result decode(byte[] data, int offset) {
        Cbor c = new Cbor(data, offset);
        Object v = c.item(0);
        return new Result(v, c.pos);
    }

    static Object decode(byte[] data) { return decode(data, 0).value(); }

    private int u8() {
        if (pos >= in.length) throw new IllegalArgumentException("CBOR: unexpected end");
        return in[pos++] & 0xff;
    }

    private long arg(int info) {
        if (info < 24) return info;
        int n = switch (info) { case 24 -> 1; case 25 -> 2; case 26 -> 4; case 27 -> 8; default -> throw new IllegalArgumentException("CBOR: unsupported length encoding"); };
        long v = 0;
        for (int i = 0; i < n; i++) v = (v << 8) | u8();
        if (v < 0) throw new IllegalArgumentException("CBOR: length out of range");
        return v;
    }

    private byte[] bytes(long len) {
        if (len > in.length - pos) throw new IllegalArgumentException("CBOR: unexpected end");
        byte[] b = new byte[(int) len];
        System.arraycopy(in, pos, b, 0, b.length);
        pos += b.length;
        return b;
    }

    private Object item(int depth) {
        if (depth > 16) throw new IllegalArgumentException("CBOR: nesting too deep");
        int ib = u8();
        int major = ib >> 5, info = ib & 31;
        if (info == 31) throw new IllegalArgumentException("CBOR: indefinite lengths are not supported");
        switch (major) {
            case 0: return arg(info);
            case 1: return -1 - arg(info);
            case 2: return bytes(arg(info));
            case 3: return new String(bytes(arg(info)), StandardCharsets.UTF_8);
            case 4: {
                long n = arg(info);
                if (n > in.length) throw new IllegalArgumentException("CBOR: array too long");
                List<Object> l = new ArrayList<>();
                for (long i = 0; i < n; i++) l.add(item(depth + 1));
                return l;
            }
            case 5: {
                long n = arg(info);
                if (n > in.length) throw new IllegalArgumentException("CBOR: map too long");
                Map<Object, Object> m = new LinkedHashMap<>();
                for (long i = 0; i < n; i++) {
                    Object k = item(depth + 1);
                    m.put(k, item(depth + 1));
                }
                return m;
            }
            case 7:
                if (info == 20) return Boolean.FALSE;
                if (info == 21) return Boolean.TRUE;
                if (info == 22 || info == 23) return null;
                throw new IllegalArgumentException("CBOR: unsupported simple value");
            default:
                throw new IllegalArgumentException("CBOR: tags are not supported");
        }
    }
}
