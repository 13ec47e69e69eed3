package org.haven.api.server;

import tools.jackson.core.JsonGenerator;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;

/** The JSON mappers the API uses. */
public final class Json {
    private Json() {}

    public static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** For request bodies: nesting is bounded by {@link RequestDecoder#MAX_JSON_DEPTH}. */
    public static final JsonMapper REQUEST = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(RequestDecoder.MAX_JSON_DEPTH).build()).build())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /**
     * For response bodies: Java booleans become {@code 1}/{@code 0}, as PVE's Perl API emits them. A handler
     * that needs a literal JSON {@code true}/{@code false} returns a Jackson {@code BooleanNode}.
     */
    public static final JsonMapper RESPONSE;

    static {
        ValueSerializer<Boolean> asInt = new ValueSerializer<>() {
            @Override
            public void serialize(Boolean value, JsonGenerator gen, SerializationContext ctxt) {
                gen.writeNumber(value ? 1 : 0);
            }
        };
        SimpleModule m = new SimpleModule("pve-booleans");
        m.addSerializer(Boolean.class, asInt);
        m.addSerializer(boolean.class, asInt);
        RESPONSE = JsonMapper.builder()
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .addModule(m)
                .build();
    }
}
