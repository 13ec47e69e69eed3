package org.haven.api.task;

/** The log of a running task; every line is written and flushed at once so readers see it while the task runs. */
public interface TaskLog {
    /** The task's UPID. */
    String upid();

    /** Append one line (a newline inside starts further lines). */
    void log(String line);

    /** Append a {@code WARN: } line and count it for the final status. */
    void warn(String line);

    /** True once someone asked the task to stop (DELETE on the task); the thread is interrupted too. */
    boolean stopRequested();

    /** Throws when a stop was requested, so long loops can end cleanly. */
    default void checkStop() {
        if (stopRequested()) throw new TaskStoppedException();
    }

    final class TaskStoppedException extends RuntimeException {
        public TaskStoppedException() { super("received interrupt", null, false, false); }
    }
}
