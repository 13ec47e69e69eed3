package org.haven.api.task;

import java.util.List;
import java.util.Optional;

/**
 * Starts and tracks tasks (PVE's workers). Each task gets a UPID
 * {@code UPID:node:pid:pstart:starttime:type:id:user:}, a log file under the data directory
 * ({@code tasks/<X>/<UPID>} with X the last hex digit of starttime, as PVE's {@code /var/log/pve/tasks})
 * and an entry in the task index, which survives restarts.
 */
public interface TaskManager {

    /**
     * Start {@code worker} on a virtual thread and return its UPID at once.
     * @param type  task type, e.g. {@code qmstart}, {@code vzdump}, {@code imgcopy}
     * @param id    object id (e.g. the vmid) or empty
     * @param authid who started it ({@code root@pam}, {@code user@pve!token})
     */
    String start(String type, String id, String authid, TaskWorker worker);

    /** Status of a task, if known. */
    Optional<TaskInfo> info(String upid);

    /** Ask a running task to stop; false when it is not running. */
    boolean stop(String upid);

    /** Block until the task has ended (or the timeout in ms elapsed); returns its info. */
    TaskInfo await(String upid, long timeoutMillis) throws InterruptedException;

    /** Tasks of this node, newest first (running ones included). */
    List<TaskInfo> list();

    /** Log lines {@code start}..{@code start+limit} (1-based line numbers as in PVE's {@code n}), and the total count. */
    LogPage log(String upid, int start, int limit);

    record LogPage(List<String> lines, int total) {}

    /**
     * One task. {@code status} is null while running, then {@code OK}, {@code WARNINGS: n} or the error text.
     * {@code endtime} is 0 while running.
     */
    record TaskInfo(String upid, String node, long pid, long pstart, long starttime, String type, String id,
                    String user, long endtime, String status) {
        public boolean running() { return status == null; }
    }
}
