package org.haven.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * PVE's batching of metric lines ({@code add_metric_data}): a line is queued; before it, the queue is sent when it
 * holds more than half of {@code size} bytes and the line would take it past {@code size}. A single line longer
 * than {@code size} still goes out, alone or with what was queued.
 */
public final class Batches {
    private Batches() {}

    public static List<String> of(List<String> lines, long size) {
        List<String> out = new ArrayList<>();
        StringBuilder queue = new StringBuilder();
        long queued = 0;
        for (String line : lines) {
            long n = line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (queued > size / 2 && queued + n > size) {
                out.add(queue.toString());
                queue.setLength(0);
                queued = 0;
            }
            queue.append(line);
            queued += n;
        }
        if (!queue.isEmpty()) out.add(queue.toString());
        return out;
    }
}
