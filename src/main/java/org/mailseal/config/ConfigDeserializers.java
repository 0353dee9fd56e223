package org.mailseal.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.Duration;

/** Jackson deserializers for the config's value types. Each throws with a message naming the bad value. */
final class ConfigDeserializers {
    private ConfigDeserializers() {
    }

    static SimpleModule module() {
        SimpleModule m = new SimpleModule("mailseal-config");
        m.addDeserializer(HostPort.class, new HostPortDeserializer());
        m.addDeserializer(Cidr.class, new CidrDeserializer());
        m.addDeserializer(Duration.class, new DurationDeserializer());
        return m;
    }

    static final class HostPortDeserializer extends JsonDeserializer<HostPort> {
        @Override
        public HostPort deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return wrap(p, ctxt, HostPort.class, HostPort::parse);
        }
    }

    static final class CidrDeserializer extends JsonDeserializer<Cidr> {
        @Override
        public Cidr deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return wrap(p, ctxt, Cidr.class, Cidr::parse);
        }
    }

    static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return wrap(p, ctxt, Duration.class, Durations::parseDuration);
        }
    }

    static final class SizeDeserializer extends JsonDeserializer<Long> {
        @Override
        public Long deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return wrap(p, ctxt, Long.class, Durations::parseSize);
        }
    }

    private interface Parse<T> {
        T parse(String text);
    }

    @SuppressWarnings("unchecked")
    private static <T> T wrap(JsonParser p, DeserializationContext ctxt, Class<T> type, Parse<T> parse) throws IOException {
        String text = p.getValueAsString();
        if (text == null) {
            return (T) ctxt.handleWeirdStringValue(type, p.getText(), "expected a scalar value");
        }
        try {
            return parse.parse(text);
        } catch (IllegalArgumentException e) {
            return (T) ctxt.handleWeirdStringValue(type, text, e.getMessage());
        }
    }
}
