package org.mailseal.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Checks and normal forms the config sections share. */
final class Checks {

    private Checks() {
    }

    static void requirePositive(String name, Number n) {
        if (n.longValue() <= 0) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }

    /**
     * A section with every key at its default: its canonical constructor given nothing (each section's
     * compact constructor fills in what is null), as Jackson does for an empty YAML mapping.
     */
    static <S extends Record> S defaults(Class<S> type) {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
        }
        try {
            return type.getDeclaredConstructor(types).newInstance(new Object[components.length]);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type.getSimpleName() + " has no canonical constructor", e);
        }
    }

    /** Domain-keyed maps are looked up in lower case. */
    static <V> Map<String, V> lowerKeys(Map<String, V> in) {
        Map<String, V> out = new HashMap<>();
        in.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
        return out;
    }

    // One of the enum's constants, written in lower case in the YAML; the error names the key and the choices.
    static <E extends Enum<E>> E choice(Class<E> type, String key, String s) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return e;
            }
        }
        throw new IllegalArgumentException(key + " must be " + java.util.Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.joining(", ")) + " (got '" + s + "')");
    }
}
