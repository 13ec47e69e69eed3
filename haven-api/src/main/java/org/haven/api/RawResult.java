package org.haven.api;

/**
 * A handler result sent as is instead of the JSON envelope (PVE's {@code download} results, e.g. a task log
 * with {@code download=1}): the body with its content type and, when {@code filename} is set, a
 * {@code Content-Disposition: attachment} header. Over {@code /api2/extjs} and to the CLI it is the same bytes.
 */
public record RawResult(String contentType, byte[] body, String filename) {
    public static RawResult text(String text, String filename) {
        return new RawResult("text/plain;charset=UTF-8", text.getBytes(java.nio.charset.StandardCharsets.UTF_8), filename);
    }
}
