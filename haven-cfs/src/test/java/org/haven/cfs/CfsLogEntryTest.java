package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/** The log entry format (groups of changes tagged with a term) and how the state machine applies it. */
class CfsLogEntryTest {
    private static CfsOp.Envelope write(String path) {
        return new CfsOp.Envelope(1, 1_700_000_000_000L, new CfsOp.Write(path, path.getBytes(StandardCharsets.UTF_8), -1));
    }

    private static byte[] group(long term, long id, CfsOp.Envelope... envs) {
        List<byte[]> encoded = new ArrayList<>();
        for (CfsOp.Envelope e : envs) encoded.add(CfsOp.encode(e));
        return CfsOp.encodeGroup(term, id, encoded);
    }

    @Test
    void groupsRoundTrip() {
        byte[] entry = CfsOp.entryOf(List.of(group(7, 42, write("a"), write("b")), group(7, -3, write("c"))));
        List<CfsOp.Group> groups = CfsOp.decodeEntry(entry);
        assertThat(groups).extracting(CfsOp.Group::term).containsExactly(7L, 7L);
        assertThat(groups).extracting(CfsOp.Group::id).containsExactly(42L, -3L);
        assertThat(groups.get(0).envelopes()).extracting(e -> ((CfsOp.Write) e.op()).path()).containsExactly("a", "b");
        assertThat(groups.get(1).envelopes()).extracting(e -> ((CfsOp.Write) e.op()).path()).containsExactly("c");
        assertThat(CfsOp.groupHeader(group(9, 123, write("x")))).containsExactly(9, 123);
    }

    @Test
    void entriesOfTheEarlierFormatsApplyInAnyTerm() {
        // one envelope alone, and a plain batch: byte 2, count, then length-prefixed envelopes
        assertThat(CfsOp.decodeEntry(CfsOp.encode(write("a"))))
                .singleElement().satisfies(g -> {
                    assertThat(g.term()).isEqualTo(-1);
                    assertThat(g.envelopes()).hasSize(1);
                });
        byte[] one = CfsOp.encode(write("a"));
        byte[] two = CfsOp.encode(write("b"));
        java.nio.ByteBuffer batch = java.nio.ByteBuffer.allocate(1 + 4 + 4 + one.length + 4 + two.length);
        batch.put(CfsOp.BATCH).putInt(2).putInt(one.length).put(one).putInt(two.length).put(two);
        assertThat(CfsOp.decodeEntry(batch.array())).singleElement().satisfies(g -> {
            assertThat(g.term()).isEqualTo(-1);
            assertThat(g.envelopes()).extracting(e -> ((CfsOp.Write) e.op()).path()).containsExactly("a", "b");
        });
    }

    @Test
    void aGroupTakesEffectOnlyInAnEntryOfItsTerm() {
        List<CfsStateMachine.AppliedGroup> seen = new ArrayList<>();
        List<Long> terms = new ArrayList<>();
        CfsStateMachine sm = new CfsStateMachine(CfsLimits.PVE, null, null, null, new CfsStateMachine.Applied() {
            @Override public void applied(long term, List<CfsStateMachine.AppliedGroup> groups) {
                terms.add(term);
                seen.addAll(groups);
            }

            @Override public void snapshotInstalled(long term) {}
        }, null);
        // an entry of term 5 carrying a group made for term 5, one re-proposed from term 4, and one of any term
        byte[] data = CfsOp.entryOf(List.of(group(5, 1, write("now")), group(4, 2, write("stale")),
                CfsOp.encodeGroup(-1, 3, List.of(CfsOp.encode(write("any"))))));
        RaftProtos.LogEntryProto entry = RaftProtos.LogEntryProto.newBuilder().setTerm(5).setIndex(1)
                .setStateMachineLogEntry(RaftProtos.StateMachineLogEntryProto.newBuilder().setLogData(ByteString.copyFrom(data))).build();
        sm.applyTransaction(TransactionContext.newBuilder().setStateMachine(sm).setServerRole(RaftProtos.RaftPeerRole.FOLLOWER)
                .setLogEntry(entry).build()).join();

        assertThat(sm.tree().read("now")).isPresent();
        assertThat(sm.tree().read("stale")).isEmpty();
        assertThat(sm.tree().read("any")).isPresent();
        assertThat(terms).containsExactly(5L);
        assertThat(seen).extracting(CfsStateMachine.AppliedGroup::id).containsExactly(1L, 2L, 3L);
        assertThat(seen.get(0).results()).singleElement().satisfies(r -> assertThat(r.ok()).isTrue());
        assertThat(seen.get(1).results()).isNull();
        assertThat(sm.appliedIndex()).isEqualTo(1);
    }
}
