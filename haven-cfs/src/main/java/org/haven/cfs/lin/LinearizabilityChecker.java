package org.haven.cfs.lin;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that a history of operations on one register is linearizable (Wing &amp; Gong's search with
 * Lowe's memoisation of (linearized set, state)). Operations: read, write, compare-and-set. An operation whose
 * outcome is unknown (timeout, crash) may take effect at any point after its invocation, or never.
 * Registers are independent, so a multi-key history is checked key by key.
 */
public final class LinearizabilityChecker {
    public enum Kind { READ, WRITE, CAS }

    /**
     * One operation. {@code value}: for READ the value read, for WRITE the value written, for CAS the new value;
     * {@code expect}: for CAS the expected old value. {@code ok}: for CAS whether it succeeded. {@code unknown}:
     * outcome unknown ({@code end} is ignored then). Values may be null (absent).
     */
    public record Op(int id, Kind kind, String expect, String value, boolean ok, boolean unknown, long start, long end) {}

    private record Event(Op op, boolean call, long time) {}

    /**
     * The result: whether a linearization exists and, when not, how far the search got; {@code inconclusive}
     * when the search gave up after its step budget (then {@code linearizable} is false).
     */
    public record Result(boolean linearizable, int longestPrefix, boolean inconclusive) {
        public Result(boolean linearizable, int longestPrefix) { this(linearizable, longestPrefix, false); }
    }

    /** Default search budget of {@link #check(List, String)}. */
    public static final long DEFAULT_STEPS = 200_000_000L;

    private LinearizabilityChecker() {}

    /** Checks {@code ops} against a register whose initial value is {@code initial}. */
    public static Result check(List<Op> ops, String initial) {
        return check(ops, initial, DEFAULT_STEPS);
    }

    /** As {@link #check(List, String)}, giving up (inconclusive) after {@code maxSteps} search steps. */
    public static Result check(List<Op> ops, String initial, long maxSteps) {
        List<Event> events = new ArrayList<>();
        for (Op o : ops) {
            events.add(new Event(o, true, o.start()));
            events.add(new Event(o, false, o.unknown() ? Long.MAX_VALUE : o.end()));
        }
        // calls before returns at equal times: operations that touch are concurrent
        events.sort(Comparator.comparingLong(Event::time).thenComparing(e -> !e.call()));
        int n = ops.size();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        // index ops by id position
        java.util.Map<Integer, Integer> pos = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) pos.put(ops.get(i).id(), i);

        Node head = new Node(null, null);
        Node tail = head;
        for (Event e : events) {
            Node nd = new Node(e, tail);
            tail.next = nd;
            tail = nd;
        }
        // link call and return nodes
        java.util.Map<Integer, Node> calls = new java.util.HashMap<>();
        for (Node nd = head.next; nd != null; nd = nd.next) {
            if (nd.ev.call()) calls.put(nd.ev.op().id(), nd);
            else {
                Node c = calls.get(nd.ev.op().id());
                c.match = nd;
            }
        }
        BitSet linearized = new BitSet(n);
        Set<State> cache = new HashSet<>();
        ArrayList<Frame> stack = new ArrayList<>();
        String state = initial;
        Node entry = head.next;
        int best = 0;
        long steps = 0;
        while (true) {
            if (++steps > maxSteps) return new Result(false, best, true);
            if (entry == null || allUnknownLeft(head)) return new Result(true, n);
            if (entry.ev.call()) {
                Op op = entry.ev.op();
                String[] next = step(state, op);
                boolean skipRet = false;
                if (next != null) {
                    BitSet lin2 = (BitSet) linearized.clone();
                    lin2.set(pos.get(op.id()));
                    if (cache.add(new State(lin2, next[0]))) {
                        stack.add(new Frame(entry, state));
                        state = next[0];
                        linearized = lin2;
                        best = Math.max(best, linearized.cardinality());
                        lift(entry);
                        entry = head.next;
                        skipRet = true;
                    }
                }
                if (!skipRet) entry = entry.next;
            } else {
                // a return whose call was not linearized: backtrack
                if (stack.isEmpty()) return new Result(false, best);
                Frame f = stack.remove(stack.size() - 1);
                state = f.state;
                linearized = (BitSet) linearized.clone();
                linearized.clear(pos.get(f.entry.ev.op().id()));
                unlift(f.entry);
                entry = f.entry.next;
            }
        }
    }

    private static boolean allUnknownLeft(Node head) {
        for (Node nd = head.next; nd != null; nd = nd.next) if (!nd.ev.op().unknown()) return false;
        return true;
    }

    /** New state after {@code op}, or null when {@code op} cannot take effect in {@code state}. */
    private static String[] step(String state, Op op) {
        return switch (op.kind()) {
            case READ -> Objects.equals(state, op.value()) ? new String[] {state} : null;
            case WRITE -> new String[] {op.value()};
            case CAS -> {
                boolean match = Objects.equals(state, op.expect());
                if (op.unknown()) yield match ? new String[] {op.value()} : new String[] {state};
                if (op.ok()) yield match ? new String[] {op.value()} : null;
                yield match ? null : new String[] {state};
            }
        };
    }

    private static final class Node {
        final Event ev;
        Node prev;
        Node next;
        Node match;

        Node(Event ev, Node prev) { this.ev = ev; this.prev = prev; }
    }

    private record Frame(Node entry, String state) {}

    private record State(BitSet linearized, String value) {}

    private static void lift(Node call) {
        call.prev.next = call.next;
        if (call.next != null) call.next.prev = call.prev;
        Node ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) ret.next.prev = ret.prev;
    }

    private static void unlift(Node call) {
        Node ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) ret.next.prev = ret;
        call.prev.next = call;
        if (call.next != null) call.next.prev = call;
    }
}
