package org.haven.api;

/**
 * The code behind an {@link ApiMethod}. It receives parameters that already passed schema validation and
 * coercion, and returns the result, which is serialized as the {@code data} of the response: a
 * {@code Map}, {@code List}, record, {@code String} (e.g. a UPID), number, {@code Boolean}, Jackson
 * {@code JsonNode}, or {@code null}. Java booleans are written as {@code 1}/{@code 0}, as PVE does (return a
 * Jackson {@code BooleanNode} for a literal JSON boolean). Errors: throw {@link ApiException} (status + message),
 * {@link org.haven.core.schema.ParamException} (400 with field errors), or any other exception (500 with
 * its message, as PVE does for {@code die}).
 */
@FunctionalInterface
public interface Handler {
    Object handle(Params params, RequestContext rc) throws Exception;
}
