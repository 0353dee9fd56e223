package org.mailseal.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A page built from parts (tables, forms, text, a preformatted block, a chart), rendered by {@code view.jte}
 * with every value escaped. Only {@link Block#svg} is inserted as it is: it is drawn by {@link Chart} from
 * numbers alone.
 */
public record View(String title, List<String> notices, List<Block> blocks) {

    /** One part of a page, under an optional heading; one of its fields is set. */
    public record Block(String heading, Table table, Form form, String text, String pre, String svg) {
    }

    public record Table(String id, List<String> headers, List<Row> rows) {
    }

    /** A row, its cells and the buttons or links at its end; {@code key} becomes its {@code data-key}. */
    public record Row(String key, List<Cell> cells, List<Action> actions) {
    }

    /** A cell's text, a link when {@code href} is set. */
    public record Cell(String text, String href) {
    }

    /** A link (GET, {@code fields} null) or a button that POSTs {@code fields} with the CSRF token. */
    public record Action(String label, String url, Map<String, String> fields, String cssClass) {
    }

    public record Form(String id, String action, boolean post, boolean multipart, List<Field> fields, String submit) {
    }

    /** An input: {@code type} text, password, file, textarea, select ({@code options}), hidden, number, datetime-local. */
    public record Field(String name, String label, String type, String value, List<String> options) {
    }

    public static Builder of(String title, List<String> notices) {
        return new Builder(title, notices);
    }

    public static Cell cell(Object text) {
        return new Cell(text == null ? "" : String.valueOf(text), null);
    }

    public static Cell link(Object text, String href) {
        return new Cell(String.valueOf(text), href);
    }

    public static Action post(String label, String url, Map<String, String> fields, String cssClass) {
        return new Action(label, url, fields, cssClass);
    }

    public static Action get(String label, String url, String cssClass) {
        return new Action(label, url, null, cssClass);
    }

    public static Field text(String name, String label, String value) {
        return new Field(name, label, "text", value == null ? "" : value, List.of());
    }

    public static Field input(String name, String label, String type) {
        return new Field(name, label, type, "", List.of());
    }

    public static Field select(String name, String label, String value, List<String> options) {
        return new Field(name, label, "select", value == null ? "" : value, options);
    }

    public static Field hidden(String name, String value) {
        return new Field(name, "", "hidden", value, List.of());
    }

    /** Collects the blocks of a page in order. */
    public static final class Builder {
        private final String title;
        private final List<String> notices;
        private final List<Block> blocks = new ArrayList<>();

        Builder(String title, List<String> notices) {
            this.title = title;
            this.notices = new ArrayList<>(notices);
        }

        public Builder notice(String n) {
            notices.add(n);
            return this;
        }

        public Builder table(String heading, String id, List<String> headers, List<Row> rows) {
            blocks.add(new Block(heading, new Table(id, headers, rows), null, null, null, null));
            return this;
        }

        public Builder form(String heading, String id, String action, String submit, Field... fields) {
            blocks.add(new Block(heading, null, new Form(id, action, true, false, List.of(fields), submit), null, null, null));
            return this;
        }

        public Builder getForm(String heading, String id, String action, String submit, Field... fields) {
            blocks.add(new Block(heading, null, new Form(id, action, false, false, List.of(fields), submit), null, null, null));
            return this;
        }

        public Builder upload(String heading, String id, String action, String submit, Field... fields) {
            blocks.add(new Block(heading, null, new Form(id, action, true, true, List.of(fields), submit), null, null, null));
            return this;
        }

        public Builder text(String heading, String text) {
            blocks.add(new Block(heading, null, null, text, null, null));
            return this;
        }

        public Builder pre(String heading, String pre) {
            blocks.add(new Block(heading, null, null, null, pre, null));
            return this;
        }

        public Builder chart(String heading, String svg) {
            blocks.add(new Block(heading, null, null, null, null, svg));
            return this;
        }

        public View build() {
            return new View(title, List.copyOf(notices), List.copyOf(blocks));
        }
    }
}
