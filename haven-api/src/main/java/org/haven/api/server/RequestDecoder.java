package org.haven.api.server;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.api.ApiException;
import org.haven.core.schema.ParamException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns a query string and a request body into parameters, strictly: malformed percent-encoding, bytes
 * that are not UTF-8, malformed JSON, JSON that is not an object or nests deeper than {@link #MAX_JSON_DEPTH}
 * fail with a 400 ({@link ParamException} naming the parameter when its name could be read, else an
 * {@link ApiException} with a message). Pure: no I/O.
 */
public final class RequestDecoder {
    private RequestDecoder() {}

    /** The deepest JSON a request body may have; API parameters are flat, property strings at most two levels. */
    public static final int MAX_JSON_DEPTH = 64;

    /**
     * Adds the fields of an {@code application/x-www-form-urlencoded} text (a query string or a form body) to
     * {@code out}; a repeated name collects its values in a list.
     */
    @SuppressWarnings("unchecked")
    public static void parseForm(String text, Map<String, Object> out) {
        for (String part : text.split("&")) {
            if (part.isEmpty()) continue;
            int eq = part.indexOf('=');
            String k = decodeComponent(eq < 0 ? part : part.substring(0, eq));
            if (k == null) throw new ApiException(400, "malformed parameter name (invalid percent-encoding or UTF-8)");
            String v = eq < 0 ? "" : decodeComponent(part.substring(eq + 1));
            if (v == null) throw ParamException.of(k, "malformed value (invalid percent-encoding or UTF-8)");
            Object prev = out.get(k);
            if (prev == null) out.put(k, v);
            else if (prev instanceof List<?> l) ((List<Object>) l).add(v);
            else { List<Object> l = new ArrayList<>(); l.add(prev); l.add(v); out.put(k, l); }
        }
    }

    /**
     * Decodes one form component: {@code +} is a space, {@code %XX} a byte, and the bytes must be UTF-8.
     * Null when an escape is malformed or the bytes are not UTF-8.
     */
    static String decodeComponent(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') bytes.write(' ');
            else if (c == '%') {
                if (i + 2 >= s.length()) return null;
                int hi = Character.digit(s.charAt(i + 1), 16), lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) return null;
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) bytes.write(c);
            else {
                int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
                bytes.writeBytes(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end - 1;
            }
        }
        return utf8(bytes.toByteArray());
    }

    /** Strict UTF-8 decoding; null for malformed input. */
    static String utf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Adds the form fields of a body; the body must be UTF-8. */
    public static void parseFormBody(byte[] body, Map<String, Object> out) {
        String text = utf8(body);
        if (text == null) throw new ApiException(400, "unable to parse request body - not UTF-8");
        parseForm(text, out);
    }

    /** Adds the members of a JSON object body (PVE's clients send UTF-8 JSON objects). */
    public static void parseJson(byte[] body, Map<String, Object> out) {
        JsonNode n;
        try {
            n = Json.REQUEST.readTree(body);
        } catch (StreamConstraintsException e) {
            throw new ApiException(400, "unable to parse JSON body - nested deeper than " + MAX_JSON_DEPTH + " levels or too large");
        } catch (JacksonException e) {
            String why = e.getOriginalMessage();
            if (why == null || Dispatcher.mentionsJava(why) || why.indexOf('`') >= 0) why = "malformed JSON";
            throw new ApiException(400, "unable to parse JSON body - " + why);
        }
        if (n == null || n.isMissingNode()) return;
        if (!(n instanceof ObjectNode o)) throw new ApiException(400, "got unexpected JSON data type, expected a object");
        for (Map.Entry<String, JsonNode> e : o.properties()) out.put(e.getKey(), jsonValue(e.getValue()));
    }

    private static Object jsonValue(JsonNode n) {
        if (n.isArray()) { List<Object> l = new ArrayList<>(); for (JsonNode x : n) l.add(jsonValue(x)); return l; }
        if (n.isObject()) return Json.MAPPER.convertValue(n, Map.class);
        if (n.isNull()) return null;
        if (n.isBoolean()) return n.asBoolean();
        if (n.isIntegralNumber()) return n.asLong();
        if (n.isNumber()) return n.asDouble();
        return n.asString();
    }
}
