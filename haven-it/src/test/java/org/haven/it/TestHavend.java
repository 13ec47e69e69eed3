package org.haven.it;

import java.util.List;
import org.haven.it.platform.TestTaskModule;
import org.haven.node.Havend;

/** The daemon of the test nodes: {@link Havend} with the test-only {@link TestTaskModule}. */
public final class TestHavend {
    private TestHavend() {}

    public static void main(String[] args) { Havend.main(args, List.of(new TestTaskModule())); }
}
