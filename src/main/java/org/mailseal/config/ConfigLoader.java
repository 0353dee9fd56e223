package org.mailseal.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Loads and validates the YAML config. Every failure becomes a {@link ConfigException} with a one-line
 * message naming the file, the line and the key, e.g.
 * {@code mailseal.yml line 4: smtp.listen: expected host:port, got 'nowhere'}.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    private static ObjectMapper mapper() {
        ObjectMapper m = new ObjectMapper(new YAMLFactory());
        m.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        m.configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);
        m.configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);
        m.registerModule(ConfigDeserializers.module());
        return m;
    }

    /** Loads {@code file}, or the defaults when it is null. */
    public static MailsealConfig load(Path file) {
        if (file == null) {
            return MailsealConfig.defaults();
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": config file not found");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config file: " + e.getMessage());
        }
        return parse(file.toString(), text);
    }

    /** Parses config text; {@code name} is used in error messages. */
    public static MailsealConfig parse(String name, String text) {
        if (text.isBlank()) {
            return MailsealConfig.defaults();
        }
        try {
            MailsealConfig c = mapper().readValue(text, MailsealConfig.class);
            return c != null ? c : MailsealConfig.defaults();
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw new ConfigException(where(name, text, e) + "unknown key '" + path(e) + "'"
                    + (known.isEmpty() ? "" : " (known here: " + known + ")"));
        } catch (JsonMappingException e) {
            throw new ConfigException(where(name, text, e) + (path(e).isEmpty() ? "" : path(e) + ": ")
                    + rootMessage(e));
        } catch (JsonProcessingException e) {
            throw new ConfigException(where(name, e.getLocation()) + "YAML syntax error: " + firstLine(e.getOriginalMessage()));
        }
    }

    /**
     * Jackson reports record errors at the end of the object; the line of the key itself is more use,
     * so it is looked up in the text along the key path.
     */
    private static String where(String name, String text, JsonMappingException e) {
        int line = keyLine(text, e);
        return line > 0 ? name + " line " + line + ": " : where(name, e.getLocation());
    }

    private static int keyLine(String text, JsonMappingException e) {
        String[] lines = text.split("\n", -1);
        int from = 0;
        int found = -1;
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() == null) {
                continue;
            }
            java.util.regex.Pattern key = java.util.regex.Pattern.compile(
                    "(^|[\\s{,-])[\"']?" + java.util.regex.Pattern.quote(r.getFieldName()) + "[\"']?\\s*:");
            found = -1;
            for (int i = from; i < lines.length; i++) {
                String l = lines[i].replaceAll("#.*", "");
                if (key.matcher(l).find()) {
                    found = i;
                    break;
                }
            }
            if (found < 0) {
                return -1;
            }
            from = found;
        }
        return found + 1;
    }

    private static String where(String name, JsonLocation loc) {
        return loc == null || loc.getLineNr() <= 0 ? name + ": " : name + " line " + loc.getLineNr() + ": ";
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String msg = t instanceof JsonMappingException jm ? jm.getOriginalMessage() : t.getMessage();
        if (t instanceof IllegalArgumentException || t instanceof ConfigException) {
            return firstLine(msg);
        }
        // Jackson's own messages: keep the gist, drop class names.
        msg = firstLine(msg).replaceAll("`[a-zA-Z0-9_.$]+\\.([A-Za-z0-9_]+)`", "$1");
        int cut = msg.indexOf(" (for Object starting");
        return cut > 0 ? msg.substring(0, cut) : msg;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid value";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
