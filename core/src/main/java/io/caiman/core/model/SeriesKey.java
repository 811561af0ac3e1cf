package io.caiman.core.model;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The identity of one series: tenant, metric name and labels. Its canonical form is the oplog record
 * key, so it is a stable contract:
 *
 * <pre>{@code <tenant>/<metric name>{<label>="<value>",…}}</pre>
 *
 * <p>UTF-8, labels sorted by name, no spaces, braces left out when there are no labels, and label
 * values escaped as in the Prometheus text format ({@code \\}, {@code \"}, {@code \n}). The form is
 * readable in any Kafka tool and parses back exactly ({@link #parse}). The tenant is part of the key so
 * that compaction never lets one tenant's sample replace another's. Replica labels (see
 * {@link #of(String, String, Labels, java.util.Collection)}) are left out, so both members of an HA pair
 * write the same key.
 */
public final class SeriesKey implements Comparable<SeriesKey> {

    private final String tenant;
    private final String name;
    private final Labels labels;
    private final String text;

    private SeriesKey(String tenant, String name, Labels labels) {
        this.tenant = tenant;
        this.name = name;
        this.labels = labels;
        this.text = render(tenant, name, labels);
    }

    /**
     * The key of a series.
     *
     * @throws IllegalArgumentException if the tenant, name or a label name is not valid ({@link Naming})
     */
    public static SeriesKey of(String tenant, String name, Labels labels) {
        String problem = Naming.validateTenant(tenant);
        if (problem == null) {
            problem = Naming.validateMetricName(name);
        }
        for (int i = 0; problem == null && i < labels.size(); i++) {
            problem = Naming.validateLabelName(labels.name(i));
        }
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new SeriesKey(tenant, name, labels);
    }

    /** The key of a series, leaving out the labels named in {@code replicaLabels}. */
    public static SeriesKey of(String tenant, String name, Labels labels, java.util.Collection<String> replicaLabels) {
        return of(tenant, name, labels.without(replicaLabels));
    }

    public String tenant() {
        return tenant;
    }

    public String name() {
        return name;
    }

    public Labels labels() {
        return labels;
    }

    /** The canonical UTF-8 bytes: the oplog record key. */
    public byte[] bytes() {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses a canonical key.
     *
     * @throws IllegalArgumentException naming the position, if {@code text} is not a canonical key
     */
    public static SeriesKey parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("series key has no tenant (no '/'): " + text);
        }
        String tenant = text.substring(0, slash);
        int brace = text.indexOf('{', slash);
        String name = brace < 0 ? text.substring(slash + 1) : text.substring(slash + 1, brace);
        List<String> pairs = new ArrayList<>();
        if (brace >= 0) {
            int i = brace + 1;
            while (i < text.length() && text.charAt(i) != '}') {
                int eq = text.indexOf("=\"", i);
                if (eq < 0) {
                    throw new IllegalArgumentException("series key: expected label=\"value\" at " + i + ": " + text);
                }
                pairs.add(text.substring(i, eq));
                StringBuilder value = new StringBuilder();
                i = eq + 2;
                while (i < text.length() && text.charAt(i) != '"') {
                    char c = text.charAt(i++);
                    if (c == '\\' && i < text.length()) {
                        char e = text.charAt(i++);
                        value.append(e == 'n' ? '\n' : e);
                    } else {
                        value.append(c);
                    }
                }
                if (i >= text.length()) {
                    throw new IllegalArgumentException("series key: unterminated label value: " + text);
                }
                pairs.add(value.toString());
                i++;
                if (i < text.length() && text.charAt(i) == ',') {
                    i++;
                }
            }
            if (i != text.length() - 1) {
                throw new IllegalArgumentException("series key: expected '}' at the end: " + text);
            }
        }
        return of(tenant, name, Labels.of(pairs.toArray(new String[0])));
    }

    /** Parses canonical key bytes; see {@link #parse(String)}. */
    public static SeriesKey parse(byte[] bytes) {
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    private static String render(String tenant, String name, Labels labels) {
        StringBuilder sb = new StringBuilder(tenant.length() + name.length() + 16 * labels.size() + 2);
        sb.append(tenant).append('/').append(name);
        if (labels.size() > 0) {
            sb.append('{');
            appendLabels(sb, labels);
            sb.append('}');
        }
        return sb.toString();
    }

    static void appendLabels(StringBuilder sb, Labels labels) {
        for (int i = 0; i < labels.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(labels.name(i)).append("=\"");
            escape(sb, labels.value(i));
            sb.append('"');
        }
    }

    /** Escapes a label value as the Prometheus text format does. */
    public static void escape(StringBuilder sb, String value) {
        int plain = 0;
        while (plain < value.length() && !needsEscape(value.charAt(plain))) {
            plain++;
        }
        sb.append(value, 0, plain); // nearly every value: all of it, in one copy
        for (int i = plain; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\':
                    sb.append("\\\\");
                    break;
                case '"':
                    sb.append("\\\"");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                default:
                    sb.append(c);
            }
        }
    }

    private static boolean needsEscape(char c) {
        return c == '\\' || c == '"' || c == '\n';
    }

    @Override
    public int compareTo(SeriesKey o) {
        return text.compareTo(o.text);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeriesKey && text.equals(((SeriesKey) o).text);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(text);
    }

    /** The canonical form. */
    @Override
    public String toString() {
        return text;
    }
}
