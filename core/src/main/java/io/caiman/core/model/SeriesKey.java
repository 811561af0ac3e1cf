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

    /**
     * Checks key bytes as {@link #parse(byte[])} reads them, without building anything: for readers that pass records
     * on as they are (a replay to a topic) and must still refuse an unreadable key. It scans the bytes once; the
     * structural characters and every character a tenant or a name may hold are ASCII, and UTF-8 never uses those
     * bytes inside a multi-byte character. Written by hand because it replaces a parse that allocates, per record.
     *
     * @throws IllegalArgumentException saying what is wrong, as {@link #parse} would
     */
    public static void check(byte[] bytes) {
        if (!canonical(bytes) && !wellFormed(bytes)) {
            parse(bytes); // throws with the reason
        }
    }

    /** Bytes that may appear in a tenant ({@link Naming#validateTenant}). */
    private static final int TENANT = 1;
    /** Bytes that may start a metric name. */
    private static final int NAME_START = 2;
    /** Bytes that may follow in a metric name. */
    private static final int NAME = 4;
    /** Bytes that may start a label name. */
    private static final int LABEL_START = 8;
    /** Bytes that may follow in a label name. */
    private static final int LABEL = 16;
    private static final byte[] CLASSES = new byte[256];

    static {
        for (int c = 0; c < 128; c++) {
            boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
            boolean digit = c >= '0' && c <= '9';
            int k = 0;
            if (letter || digit || "!.*'()-".indexOf(c) >= 0) {
                k |= TENANT;
            }
            if (letter || c == ':') {
                k |= NAME_START | NAME;
            }
            if (digit) {
                k |= NAME;
            }
            if (letter) {
                k |= LABEL_START | LABEL;
            }
            if (digit) {
                k |= LABEL;
            }
            CLASSES[c] = (byte) k;
        }
    }

    /**
     * Where the group a stored key starts with ends: its first {@code /}, after the tenant (or a rule id, a space and
     * the tenant, in the rules' stores), which holds none; -1 when there is none, and the bytes are no series key.
     */
    public static int groupEnd(byte[] key) {
        for (int i = 0; i < key.length; i++) {
            if (key[i] == '/') {
                return i;
            }
        }
        return -1;
    }

    /**
     * The fast half of {@link #check}: whether the bytes are a key exactly as {@link SeriesKey#bytes} writes one
     * (labels in strictly increasing order, one comma between them), in one pass over a table of byte classes. It
     * accepts only what {@link #wellFormed} accepts; anything else it leaves to {@link #wellFormed}, which also
     * takes the forms {@link #parse} is lenient about (unsorted labels, missing commas, names of dropped labels).
     */
    static boolean canonical(byte[] b) {
        return scan(b, null, false) >= 0;
    }

    /**
     * Reads a key in the form {@link #canonical} accepts, in one pass. With {@code strict}, each value must also be
     * non-empty, ASCII, and escaped only as {@link #bytes} escapes ({@code \\}, {@code \"}, {@code \n}, no raw
     * newline): then the key is byte for byte what its parsed form renders ({@link KeyLayout}). Without, a value is
     * whatever lies before its closing quote, an escaped character skipped. Where {@code at} is given, it receives
     * where the metric name starts and ends, then per label where its name starts and ends and its value (as
     * escaped) starts and ends.
     *
     * @return how many labels the key has; -1 if it is not in the form; -2 if {@code at} is too short for them
     */
    static int scan(byte[] b, int[] at, boolean strict) {
        int n = b.length;
        int i = 0;
        while (i < n && (CLASSES[b[i] & 0xFF] & TENANT) != 0) {
            i++;
        }
        if (i == 0 || i > 150 || i == n || b[i] != '/' || (b[0] == '.' && (i == 1 || (i == 2 && b[1] == '.')))) {
            return -1;
        }
        i++;
        int nameStart = i;
        if (i == n || (CLASSES[b[i] & 0xFF] & NAME_START) == 0) {
            return -1;
        }
        i++;
        while (i < n && (CLASSES[b[i] & 0xFF] & NAME) != 0) {
            i++;
        }
        if (at != null) {
            at[0] = nameStart;
            at[1] = i;
        }
        if (i == n) {
            return 0; // no labels
        }
        if (b[i] != '{' || b[n - 1] != '}') {
            return -1;
        }
        i++;
        int labels = 0;
        int previousStart = -1;
        int previousEnd = -1;
        while (true) {
            int start = i;
            if (i == n || (CLASSES[b[i] & 0xFF] & LABEL_START) == 0) {
                return -1;
            }
            i++;
            while (i < n && (CLASSES[b[i] & 0xFF] & LABEL) != 0) {
                i++;
            }
            if (i + 1 >= n || b[i] != '=' || b[i + 1] != '"') {
                return -1;
            }
            if (previousStart >= 0 && java.util.Arrays.compare(b, previousStart, previousEnd, b, start, i) >= 0) {
                return -1; // not in order, or a name given twice
            }
            previousStart = start;
            previousEnd = i;
            i += 2;
            int valueStart = i;
            if (strict) {
                while (i < n && b[i] != '"') {
                    byte c = b[i];
                    if (c < 0 || c == '\n' || (c == '\\' && (i + 1 == n
                            || (b[i + 1] != '\\' && b[i + 1] != '"' && b[i + 1] != 'n')))) {
                        return -1; // a non-ASCII byte, a raw newline, or an escape the key never writes
                    }
                    i += c == '\\' ? 2 : 1;
                }
                if (i == valueStart) {
                    return -1; // an empty value, which the key leaves out
                }
            } else {
                while (i < n && b[i] != '"') {
                    i += b[i] == '\\' ? 2 : 1;
                }
            }
            if (i >= n - 1) {
                return -1;
            }
            if (at != null) {
                int slot = 2 + 4 * labels;
                if (slot + 4 > at.length) {
                    return -2;
                }
                at[slot] = start;
                at[slot + 1] = previousEnd;
                at[slot + 2] = valueStart;
                at[slot + 3] = i;
            }
            labels++;
            i++;
            if (b[i] == '}') {
                return i == n - 1 ? labels : -1;
            }
            if (b[i] != ',') {
                return -1;
            }
            i++;
        }
    }

    /** Whether {@link #parse} would accept the bytes: the same grammar, and {@link #of}'s name rules. */
    static boolean wellFormed(byte[] b) {
        int n = b.length;
        int slash = 0;
        while (slash < n && b[slash] != '/') {
            slash++;
        }
        if (slash == n || !tenantOk(b, slash)) {
            return false;
        }
        int brace = slash + 1;
        while (brace < n && b[brace] != '{') {
            brace++;
        }
        if (!nameOk(b, slash + 1, brace, true)) {
            return false;
        }
        if (brace == n) {
            return true; // no labels
        }
        int[] names = new int[8]; // start and end of each kept label name
        int kept = 0;
        int i = brace + 1;
        while (i < n && b[i] != '}') {
            int eq = i;
            while (eq + 1 < n && !(b[eq] == '=' && b[eq + 1] == '"')) {
                eq++;
            }
            if (eq + 1 >= n) {
                return false;
            }
            int nameStart = i;
            i = eq + 2;
            int valueStart = i;
            while (i < n && b[i] != '"') {
                i += b[i] == '\\' && i + 1 < n ? 2 : 1;
            }
            if (i >= n) {
                return false;
            }
            if (i > valueStart) { // a label with an empty value is dropped, unchecked, as Labels does
                if (!nameOk(b, nameStart, eq, false)) {
                    return false;
                }
                for (int k = 0; k < kept; k += 2) {
                    if (java.util.Arrays.equals(b, names[k], names[k + 1], b, nameStart, eq)) {
                        return false; // given twice
                    }
                }
                if (kept == names.length) {
                    names = java.util.Arrays.copyOf(names, kept * 2);
                }
                names[kept++] = nameStart;
                names[kept++] = eq;
            }
            i++;
            if (i < n && b[i] == ',') {
                i++;
            }
        }
        return i == n - 1;
    }

    /** {@link Naming#validateTenant} on bytes: its characters are ASCII, so a byte is a character. */
    private static boolean tenantOk(byte[] b, int end) {
        if (end == 0 || end > 150 || (end == 1 && b[0] == '.') || (end == 2 && b[0] == '.' && b[1] == '.')) {
            return false;
        }
        for (int i = 0; i < end; i++) {
            int c = b[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' || c == '_'
                    || c == '.' || c == '*' || c == '\'' || c == '(' || c == ')' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** {@link Naming#validateMetricName} ({@code colon}) or {@link Naming#validateLabelName} on bytes. */
    private static boolean nameOk(byte[] b, int start, int end, boolean colon) {
        if (end <= start) {
            return false;
        }
        for (int i = start; i < end; i++) {
            int c = b[i];
            boolean ok = c == '_' || (colon && c == ':') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (i > start && c >= '0' && c <= '9');
            if (!ok) {
                return false;
            }
        }
        return true;
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
