package org.haven.api.task;

/**
 * The body of a task. It runs on its own virtual thread. Returning normally ends the task with status
 * {@code OK} (or {@code WARNINGS: n} when {@link TaskLog#warn} was called); throwing ends it with the
 * exception's message as status, as PVE does.
 */
@FunctionalInterface
public interface TaskWorker {
    void run(TaskLog log) throws Exception;
}
