package org.haven.core.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.haven.core.format.ConfigText;
import org.haven.core.schema.ParamException;

/**
 * The check every parser/writer fuzz test makes on one input. Parsing either succeeds or fails with one of the
 * parser's documented errors; what it returns is written without error; the written text parses without error to an
 * equal model ({@code parse(write(x)) == x}) and is written again to the same text (writing is a fixed point). The one
 * write a parsed form may meet is the writers' refusal of characters that end a line for some reader (a NUL, a
 * control character, U+2028 …) when the input holds one.
 *
 * @param <T> the parsed form
 */
public final class RoundTrip<T> {
    private final Function<String, T> parse;
    private final Function<T, String> write;
    private Function<T, ?> model = t -> null;
    private List<Class<? extends RuntimeException>> documented = List.of();

    private RoundTrip(Function<String, T> parse, Function<T, String> write) {
        this.parse = parse;
        this.write = write;
    }

    public static <T> RoundTrip<T> of(Function<String, T> parse, Function<T, String> write) { return new RoundTrip<>(parse, write); }

    /** The errors {@code parse} may throw for text it refuses (their subclasses included). */
    @SafeVarargs
    public final RoundTrip<T> refusesWith(Class<? extends RuntimeException>... errors) {
        documented = List.of(errors);
        return this;
    }

    /** What must survive a round trip, for parsed forms without a useful {@code equals} (default: the written text only). */
    public RoundTrip<T> model(Function<T, ?> model) {
        this.model = model;
        return this;
    }

    /** Fuzzer bytes as the text a file reader sees (invalid UTF-8 becomes U+FFFD, as with {@code new String(bytes, UTF_8)}). */
    public static String text(byte[] data) { return new String(data, StandardCharsets.UTF_8); }

    /** Checks {@code input}; returns the parsed form, or null when the parser refused it with a documented error. */
    public T check(String input) {
        T first;
        try {
            first = parse.apply(input);
        } catch (RuntimeException e) {
            if (documented.stream().anyMatch(c -> c.isInstance(e))) return null;
            throw new AssertionError("parse threw an undocumented " + e.getClass().getName() + " for " + quote(input), e);
        }
        String written;
        try {
            written = write.apply(first);
        } catch (ConfigText.UnwritableValueException e) {
            // the writers refuse, by design, characters that end a line for some reader (ConfigText.breaksLine)
            if (input.chars().anyMatch(c -> c != '\n' && ConfigText.breaksLine((char) c))) return first;
            throw new AssertionError("write refused " + e.errors() + " what was parsed from " + quote(input), e);
        } catch (RuntimeException e) {
            throw new AssertionError("write threw " + e + " for " + quote(input), e);
        }
        T again = step("parse of the written text", written, parse, input);
        if (!Objects.equals(model.apply(again), model.apply(first)))
            fail("parse(write(x)) != x for %s%nwritten: %s%nbefore: %s%nafter:  %s", quote(input), quote(written), model.apply(first), model.apply(again));
        String rewritten = step("second write", again, write, input);
        assertThat(rewritten).as("writing is a fixed point for %s", quote(input)).isEqualTo(written);
        return first;
    }

    private static <A, B> B step(String what, A arg, Function<A, B> f, String input) {
        try {
            return f.apply(arg);
        } catch (RuntimeException e) {
            String detail = e instanceof ParamException p ? e + " " + p.errors() : e.toString();
            throw new AssertionError(what + " threw " + detail + " for " + quote(input), e);
        }
    }

    /** The input as a Java string literal, so that a failure can be pasted into a table test. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c == '\n') sb.append("\\n");
            else if (c == '\t') sb.append("\\t");
            else if (c < 0x20 || c >= 0x7f) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }
}
