package org.haven.guest.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.haven.core.cfs.MemoryClusterFs;
import org.junit.jupiter.api.Test;

class GuestConfigStoreTest {
    @Test
    void configUpdatesOfOneGuestAreSerialisedAndTheLockIsReentrant() throws Exception {
        GuestConfigStore store = GuestConfigStore.qemu(new MemoryClusterFs("n1"));
        store.create(100, new GuestConfig().set("cores", "0"));
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ExecutorService ex = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                all.add(ex.submit(() -> {
                    for (int j = 0; j < 25; j++) {
                        store.update(100, c -> {
                            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            int n = Integer.parseInt(c.get("cores").orElseThrow());
                            Thread.onSpinWait();
                            c.set("cores", Integer.toString(n + 1));
                            inside.decrementAndGet();
                            return null;
                        });
                    }
                }));
            }
            for (Future<?> f : all) f.get();
        } finally {
            ex.shutdownNow();
        }
        assertThat(store.load(100).get("cores")).contains("200");
        assertThat(most.get()).isEqualTo(1);
        // the holder may take the lock again
        assertThat(store.locked(100, () -> store.locked(100, () -> 7))).isEqualTo(7);
    }
}
