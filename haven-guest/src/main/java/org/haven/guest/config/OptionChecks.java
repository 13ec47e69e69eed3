package org.haven.guest.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BinaryOperator;

import org.haven.core.schema.ParamException;

/** Validation of several config options at once, with every error reported together (PVE's parameter check). */
public final class OptionChecks {
    private OptionChecks() {}

    /**
     * {@code check} (key, value) → the value to store, throwing {@link ParamException} or IllegalArgumentException for
     * a bad one; returns the normalized values in the given order.
     */
    public static LinkedHashMap<String, String> checkAll(Map<String, String> values, BinaryOperator<String> check) {
        Map<String, String> errors = new TreeMap<>();
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            try {
                out.put(e.getKey(), check.apply(e.getKey(), e.getValue()));
            } catch (ParamException pe) {
                errors.putAll(pe.errors());
            } catch (IllegalArgumentException ie) {
                errors.put(e.getKey(), "invalid format - " + ie.getMessage());
            }
        }
        if (!errors.isEmpty()) throw new ParamException(errors);
        return out;
    }
}
