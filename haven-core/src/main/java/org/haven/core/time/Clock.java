package org.haven.core.time;

/** Injected time source, so pure logic can be driven by tests and simulators. */
public interface Clock {
    /** Seconds since the epoch. */
    long epochSeconds();

    /** Milliseconds since the epoch. */
    default long epochMillis() { return epochSeconds() * 1000; }

    Clock SYSTEM = new Clock() {
        @Override public long epochSeconds() { return System.currentTimeMillis() / 1000; }
        @Override public long epochMillis() { return System.currentTimeMillis(); }
    };
}
