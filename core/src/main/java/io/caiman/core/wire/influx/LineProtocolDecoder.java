package io.caiman.core.wire.influx;

import io.caiman.core.wire.ParseError;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Decodes InfluxDB line protocol into points, entry by entry, as InfluxData's reference decoder
 * ({@code github.com/influxdata/line-protocol/v2/lineprotocol}) does: the same character sets, escapes,
 * value syntax and ranges, and the same recovery — a bad entry is reported with its line and column and the
 * decoder goes on at the next line, so a body's good entries can still be written (InfluxDB's partial
 * writes). Columns count bytes from the start of the entry, as the reference decoder reports them.
 *
 * <p>Hand-written: there is no maintained Java decoder for the format that reports every bad entry and
 * goes on (the InfluxDB Java client only writes it). Arbitrary bytes never make it throw or loop.
 */
public final class LineProtocolDecoder {

    public static final String FORMAT = "influx";

    /** The kind of a field value, as the suffix or quoting in the input says. */
    public enum FieldKind { FLOAT, INT, UINT, STRING, BOOL }

    /**
     * One field.
     *
     * @param value a {@link Double} (FLOAT), {@link Long} (INT; UINT as an unsigned long), {@link String}, or
     *     {@link Boolean}
     */
    public record Field(String key, FieldKind kind, Object value) {

        /** The value as a sample value: booleans are 1 and 0; strings have none. */
        public double number() {
            return switch (kind) {
                case FLOAT -> (Double) value;
                case INT -> (double) (Long) value;
                case UINT -> unsignedToDouble((Long) value);
                case BOOL -> (Boolean) value ? 1 : 0;
                case STRING -> throw new IllegalStateException("string field " + key + " has no number");
            };
        }
    }

    public record Tag(String key, String value) {}

    /** An entry of the input: {@code measurement,tags fields timestamp}, with its 1-based line. */
    public record Point(String measurement, List<Tag> tags, List<Field> fields, long timeNs, int line) {}

    /** One decoded entry: a point, or the first error found in it. */
    public record Entry(Point point, ParseError error) {
        public boolean ok() {
            return error == null;
        }
    }

    /** Timestamp precisions, by the names InfluxDB 1.x and 2.x accept in {@code precision}. */
    public enum Precision {
        NANOSECONDS(1L), MICROSECONDS(1_000L), MILLISECONDS(1_000_000L), SECONDS(1_000_000_000L),
        MINUTES(60_000_000_000L), HOURS(3_600_000_000_000L);

        private final long nanos;

        Precision(long nanos) {
            this.nanos = nanos;
        }

        public long nanos() {
            return nanos;
        }

        /**
         * The precision a {@code precision} parameter names ({@code ns n us u µs ms s m h}); nanoseconds
         * when absent.
         *
         * @return the precision, or {@code null} for a name InfluxDB does not know
         */
        public static Precision parse(String name) {
            if (name == null || name.isEmpty()) {
                return NANOSECONDS;
            }
            return switch (name) {
                case "ns", "n" -> NANOSECONDS;
                case "us", "u", "µs", "µ" -> MICROSECONDS;
                case "ms" -> MILLISECONDS;
                case "s" -> SECONDS;
                case "m" -> MINUTES;
                case "h" -> HOURS;
                default -> null;
            };
        }
    }

    private static final boolean[] NON_PRINTABLE = set(c -> c < 32 || c == 0x7f);
    private static final boolean[] MEASUREMENT = set(c -> !(c == ',' || c == ' ' || NON_PRINTABLE[c]));
    private static final boolean[] KEY_OR_TAG_VALUE = set(c -> !(c == ',' || c == '=' || c == ' ' || NON_PRINTABLE[c]));
    private static final boolean[] STRING_VALUE = set(c -> c != '"');
    private static final boolean[] FIELD_VALUE = set(c -> !(c == ',' || c == ' ' || c == '\r' || c == '\n'));
    private static final boolean[] TIME = set(c -> c == '-' || (c >= '0' && c <= '9'));
    private static final boolean[] COMMENT = set(c -> !NON_PRINTABLE[c]);
    private static final boolean[] NOT_EOL = set(c -> c != '\r' && c != '\n');
    private static final boolean[] NOT_NEWLINE = set(c -> c != '\n');

    private static final byte[] MEASUREMENT_ESCAPES = escapes(" ,", " ,");
    private static final byte[] KEY_ESCAPES = escapes(",= ", ",= ");
    private static final byte[] STRING_ESCAPES = escapes("\\\"nrt", "\\\"\n\r\t");

    private final byte[] in;
    private final int end;
    private final Precision precision;
    private final long defaultTimeNs;
    /** The read position, its line, and the start of the entry being read. */
    private int p;
    private int line = 1;
    private int entryStart;
    /** For tokens that are not ASCII; made on the first one. */
    private java.nio.charset.CharsetDecoder utf8;

    private LineProtocolDecoder(byte[] in, Precision precision, long defaultTimeNs) {
        this.in = in;
        this.end = in.length;
        this.precision = precision;
        this.defaultTimeNs = defaultTimeNs;
    }

    /**
     * Every entry of {@code input}, in order.
     *
     * @param defaultTimeNs the time of entries without a timestamp (truncated to {@code precision}), usually
     *     the time the request arrived
     */
    public static List<Entry> decode(byte[] input, Precision precision, long defaultTimeNs) {
        return new LineProtocolDecoder(input, precision, defaultTimeNs).entries();
    }

    private List<Entry> entries() {
        List<Entry> entries = new ArrayList<>();
        while (true) {
            skipEmptyLines();
            if (p >= end) {
                return entries;
            }
            entryStart = p;
            int entryLine = line;
            try {
                entries.add(new Entry(entry(entryLine), null));
            } catch (SyntaxError e) {
                entries.add(new Entry(null, error(e)));
                if (!e.entryConsumed) {
                    consumeLine();
                }
            }
        }
    }

    private Point entry(int entryLine) {
        int start = p;
        String measurement = takeEscaped(MEASUREMENT, MEASUREMENT_ESCAPES);
        if (measurement.isEmpty()) {
            throw p >= end ? fail(start, "no measurement name found")
                    : fail(start, "invalid character " + quote(in[p]) + " found at start of measurement name");
        }
        if (measurement.charAt(0) == '#') {
            throw fail(start, "invalid character found in comment line");
        }
        advanceTagComma();

        List<Tag> tags = new ArrayList<>();
        while (true) {
            if (p < end && in[p] == ' ') {
                discardSpaces();
                break;
            }
            int keyStart = p;
            String key = takeEscaped(KEY_OR_TAG_VALUE, KEY_ESCAPES);
            if (key.isEmpty() || p >= end || in[p] != '=') {
                boolean eof = p >= end;
                if (eof && key.isEmpty()) {
                    throw fail(keyStart, "expected tag key or field but found end of input instead");
                } else if (eof) {
                    throw fail(keyStart, "expected '=' after tag key " + quote(key) + ", but got end of input instead");
                } else if (!key.isEmpty()) {
                    throw fail(keyStart, "expected '=' after tag key " + quote(key) + ", but got " + quote(in[p]) + " instead");
                } else if (in[p] == '=') {
                    throw fail(keyStart, "empty tag key");
                }
                throw fail(keyStart, "expected tag key or field but found " + quote(in[p]) + " instead");
            }
            p++;
            int valueStart = p;
            String value = takeEscaped(KEY_OR_TAG_VALUE, KEY_ESCAPES);
            if (value.isEmpty()) {
                throw fail(valueStart, "expected tag value after tag key " + quote(key) + ", but none found");
            }
            tags.add(new Tag(key, value));
            if (p >= end) {
                break;
            }
            advanceTagComma();
        }

        List<Field> fields = new ArrayList<>();
        boolean entryEnded = false;
        boolean more = true;
        while (more) {
            int keyStart = p;
            String key = takeEscaped(KEY_OR_TAG_VALUE, KEY_ESCAPES);
            if (key.isEmpty()) {
                throw p >= end ? fail(keyStart, "expected field key but none found")
                        : fail(keyStart, "invalid character " + quote(in[p]) + " found at start of field key");
            }
            if (p >= end) {
                throw fail(p, "want '=' after field key " + quote(key) + ", found end of input");
            }
            if (in[p] != '=') {
                throw fail(p, "want '=' after field key " + quote(key) + ", found " + quote(in[p]));
            }
            p++;
            if (p >= end) {
                throw fail(p, "expected value for field " + quote(key) + ", found end of input");
            }
            int valueStart = p;
            FieldKind kind;
            String text;
            byte first = in[p];
            if (first == '"') {
                p++;
                text = takeEscaped(STRING_VALUE, STRING_ESCAPES);
                if (p >= end) {
                    throw fail(valueStart, "expected closing quote for string field " + quote(key) + ", found end of input");
                }
                p++;
                kind = FieldKind.STRING;
            } else if (first == 't' || first == 'T' || first == 'f' || first == 'F') {
                text = take(FIELD_VALUE);
                kind = FieldKind.BOOL;
            } else if (first == '-' || first == '.' || (first >= '0' && first <= '9')) {
                text = take(FIELD_VALUE);
                char last = text.charAt(text.length() - 1);
                kind = last == 'i' ? FieldKind.INT : last == 'u' ? FieldKind.UINT : FieldKind.FLOAT;
                if (kind != FieldKind.FLOAT) {
                    text = text.substring(0, text.length() - 1);
                }
            } else if (first == ' ' || first == ',') {
                throw fail(p, "missing field value for field " + quote(key));
            } else {
                String raw = take(FIELD_VALUE);
                throw fail(valueStart, "value for field " + quote(key) + " (" + quote(raw) + ") has unrecognized type");
            }
            if (p >= end) {
                entryEnded = true;
                more = false;
            } else if (in[p] == ',') {
                p++;
            } else if (in[p] != ' ' && in[p] != '\r' && in[p] != '\n') {
                throw fail(p, "unexpected character " + quote(in[p]) + " after field " + quote(key));
            } else {
                discardSpaces();
                entryEnded = takeEndOfLine();
                more = false;
            }
            // as in the reference decoder, a bad value is found once the field's separator is read
            fields.add(field(key, kind, text, valueStart, entryEnded));
        }

        long timeNs = entryEnded ? defaultTime() : time();
        Set<String> seen = new HashSet<>();
        for (Tag tag : tags) {
            if (!seen.add(tag.key())) {
                throw fail(entryStart, "duplicate tag key " + quote(tag.key())).consumed();
            }
        }
        return new Point(measurement, List.copyOf(tags), List.copyOf(fields), timeNs, entryLine);
    }

    private Field field(String key, FieldKind kind, String text, int at, boolean entryEnded) {
        try {
            Object value = switch (kind) {
                case STRING -> text;
                case BOOL -> parseBool(text);
                case INT -> parseInt(text, false);
                case UINT -> parseInt(text, true);
                case FLOAT -> parseFloat(text);
            };
            return new Field(key, kind, value);
        } catch (ValueError e) {
            SyntaxError error = fail(at, "cannot parse value for field key " + quote(key) + ": " + e.getMessage());
            throw entryEnded ? error.consumed() : error;
        }
    }

    private long time() {
        int start = p;
        String text = take(TIME);
        if (p < end) {
            if (in[p] != ' ' && in[p] != '\r' && in[p] != '\n') {
                take(NOT_EOL);
                throw fail(start, "invalid timestamp (" + quote(new String(in, start, p - start, StandardCharsets.UTF_8)) + ")")
                        .consumed();
            }
            discardSpaces();
            if (p < end && !takeEndOfLine()) {
                int extra = p;
                throw fail(extra, "unexpected text after timestamp (" + quote(take(NOT_EOL)) + ")");
            }
        }
        if (text.isEmpty()) {
            return defaultTime();
        }
        long ts;
        try {
            ts = parseInt(text, false);
        } catch (ValueError e) {
            throw fail(start, "invalid timestamp (" + quote(text) + "): " + e.getMessage()).consumed();
        }
        try {
            return Math.multiplyExact(ts, precision.nanos);
        } catch (ArithmeticException e) {
            throw fail(start, "invalid timestamp (" + quote(text) + "): " + OUT_OF_RANGE).consumed();
        }
    }

    private long defaultTime() {
        return Math.floorDiv(defaultTimeNs, precision.nanos) * precision.nanos;
    }

    private void advanceTagComma() {
        if (p >= end || in[p] != ',') {
            return;
        }
        p++;
        if (p >= end) {
            throw fail(p, "expected tag key after comma; got end of input");
        }
        if (in[p] == ' ' || in[p] == '\r' || in[p] == '\n') {
            throw fail(p, "expected tag key after comma; got white space instead");
        }
    }

    private void skipEmptyLines() {
        while (true) {
            int lineStart = p;
            discardSpaces();
            if (p >= end) {
                return;
            }
            switch (in[p]) {
                case '#' -> {
                    take(COMMENT);
                    if (!takeEndOfLine()) {
                        p = lineStart; // the comment has a bad character: the entry parser reports it
                        return;
                    }
                }
                case '\n' -> {
                    line++;
                    p++;
                }
                case '\r' -> {
                    if (!takeEndOfLine()) {
                        return;
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }

    /** Consumes {@code \n}, {@code \r\n}, or a {@code \r} that ends the input; true at the end of the input. */
    private boolean takeEndOfLine() {
        if (p >= end) {
            return true;
        }
        if (in[p] == '\n') {
            p++;
            line++;
            return true;
        }
        if (in[p] == '\r') {
            if (p + 1 >= end) {
                p++;
                return true;
            }
            if (in[p + 1] == '\n') {
                p += 2;
                line++;
                return true;
            }
        }
        return false;
    }

    private void consumeLine() {
        while (p < end && in[p] != '\n') {
            p++;
        }
        if (p < end) {
            p++;
            line++;
        }
    }

    private void discardSpaces() {
        while (p < end && in[p] == ' ') {
            p++;
        }
    }

    /** The bytes from here that are in {@code set}, as text (only ever ASCII or checked below). */
    private String take(boolean[] set) {
        int start = p;
        while (p < end && set[in[p] & 0xff]) {
            p++;
        }
        return new String(in, start, p - start, StandardCharsets.UTF_8);
    }

    /**
     * The bytes from here that are in {@code set} or escaped, unescaped. A backslash before a character
     * {@code escapes} does not know stays a backslash. The token must be valid UTF-8.
     */
    private String takeEscaped(boolean[] set, byte[] escapes) {
        int start = p;
        boolean high = false;
        java.io.ByteArrayOutputStream unescaped = null;
        int copied = start;
        int newlines = 0;
        while (p < end) {
            byte c = in[p];
            if (c != '\\') {
                if (!set[c & 0xff]) {
                    break;
                }
                high |= c < 0;
                newlines += c == '\n' ? 1 : 0;
                p++;
                continue;
            }
            if (p + 1 >= end) {
                p = end;
                break;
            }
            byte replacement = escapes[in[p + 1] & 0xff];
            if (replacement == 0) {
                p++;
                continue;
            }
            if (unescaped == null) {
                unescaped = new java.io.ByteArrayOutputStream(p - start + 16);
            }
            unescaped.write(in, copied, p - copied);
            unescaped.write(replacement);
            p += 2;
            copied = p;
        }
        line += newlines;
        byte[] bytes;
        int from;
        int length;
        if (unescaped == null) {
            bytes = in;
            from = start;
            length = p - start;
        } else {
            unescaped.write(in, copied, p - copied);
            bytes = unescaped.toByteArray();
            from = 0;
            length = bytes.length;
        }
        if (!high) {
            return new String(bytes, from, length, StandardCharsets.ISO_8859_1);
        }
        if (utf8 == null) {
            utf8 = io.caiman.core.wire.Utf8.strictDecoder();
        }
        String text = io.caiman.core.wire.Utf8.decode(utf8, bytes, from, from + length);
        if (text == null) {
            throw fail(start, "invalid utf-8 sequence in token " + quoteBytes(bytes, from, length));
        }
        return text;
    }

    private SyntaxError fail(int at, String message) {
        return new SyntaxError(at, message);
    }

    /** Line and column of an error, as the reference decoder counts them: bytes from the entry's start. */
    private ParseError error(SyntaxError e) {
        int at = Math.max(entryStart, Math.min(e.at, end));
        int errorLine = line;
        for (int i = at; i < p && i < end; i++) {
            if (in[i] == '\n') {
                errorLine--;
            }
        }
        int lineStart = entryStart;
        for (int i = at - 1; i >= entryStart; i--) {
            if (in[i] == '\n') {
                lineStart = i + 1;
                break;
            }
        }
        return new ParseError(FORMAT, errorLine, at - lineStart + 1, e.getMessage());
    }

    // ---- values, with Go's strconv rules (ParseInt, ParseUint, ParseFloat) ----

    static final String OUT_OF_RANGE = "line-protocol value out of range";

    private static Boolean parseBool(String s) {
        return switch (s) {
            case "t", "T", "true", "True", "TRUE" -> Boolean.TRUE;
            case "f", "F", "false", "False", "FALSE" -> Boolean.FALSE;
            default -> throw new ValueError("invalid bool value " + quote(s));
        };
    }

    /** A base-10 integer: an optional sign for signed ones, ASCII digits, within 64 bits. */
    private static long parseInt(String s, boolean unsigned) {
        String what = unsigned ? "invalid unsigned integer value syntax" : "invalid integer value syntax";
        int i = 0;
        boolean negative = false;
        if (!unsigned && !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            negative = s.charAt(0) == '-';
            i = 1;
        }
        if (i >= s.length()) {
            throw new ValueError(what);
        }
        for (int j = i; j < s.length(); j++) {
            if (s.charAt(j) < '0' || s.charAt(j) > '9') {
                throw new ValueError(what);
            }
        }
        try {
            return unsigned ? Long.parseUnsignedLong(s) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ValueError(OUT_OF_RANGE);
        }
    }

    /**
     * A float as Go's {@code strconv.ParseFloat} reads it (decimal or hexadecimal, {@code _} only between
     * digits of a prefixed number), without NaN and infinities, which line protocol cannot carry.
     */
    private static double parseFloat(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        String unsigned = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
        if (unsigned.equals("inf") || unsigned.equals("infinity") || unsigned.equals("nan")) {
            throw new ValueError("non-number " + quote(s) + " cannot be represented as a line-protocol field value");
        }
        boolean valid = unsigned.startsWith("0x") ? HEX_FLOAT.matcher(unsigned).matches() && unsigned.matches(".*[0-9a-f].*p.*")
                : isDecimal(unsigned);
        if (!valid) {
            throw new ValueError("invalid float value syntax");
        }
        double value;
        try {
            value = Double.parseDouble(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new ValueError("invalid float value syntax");
        }
        if (Double.isInfinite(value)) {
            throw new ValueError(OUT_OF_RANGE);
        }
        return value;
    }

    /** Go's hexadecimal float: a mantissa with {@code _} between digits, and a mandatory binary exponent. */
    private static final java.util.regex.Pattern HEX_FLOAT =
            java.util.regex.Pattern.compile("0x_?([0-9a-f]_?)*(\\.([0-9a-f]_?)*)?p[+-]?[0-9]+");

    /** {@code digits[.digits][e[sign]digits]} or {@code .digits[…]}: at least one mantissa digit. */
    private static boolean isDecimal(String s) {
        int i = 0;
        int n = s.length();
        int digits = 0;
        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
            digits++;
        }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return false;
        }
        if (i < n && s.charAt(i) == 'e') {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int exponent = i;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == exponent) {
                return false;
            }
        }
        return i == n;
    }

    static double unsignedToDouble(long v) {
        return v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2.0;
    }

    // ---- Go's %q, so that messages read as InfluxDB's ----

    static String quote(byte b) {
        int c = b & 0xff;
        return switch (c) {
            case '\'' -> "'\\''";
            case '\\' -> "'\\\\'";
            case '\n' -> "'\\n'";
            case '\r' -> "'\\r'";
            case '\t' -> "'\\t'";
            case 7 -> "'\\a'";
            case 8 -> "'\\b'";
            case 11 -> "'\\v'";
            case 12 -> "'\\f'";
            default -> c < 0x20 || c == 0x7f ? String.format("'\\x%02x'", c)
                    : c >= 0x80 && c < 0xa0 ? String.format("'\\u%04x'", c) : "'" + (char) c + "'";
        };
    }

    static String quote(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        return quoteBytes(bytes, 0, bytes.length);
    }

    private static String quoteBytes(byte[] b, int from, int length) {
        StringBuilder sb = new StringBuilder("\"");
        String text = new String(b, from, length, StandardCharsets.UTF_8);
        boolean valid = java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), 0, text.getBytes(StandardCharsets.UTF_8).length,
                b, from, from + length);
        if (!valid) {
            for (int i = from; i < from + length; i++) {
                int c = b[i] & 0xff;
                if (c >= 0x80) {
                    sb.append(String.format("\\x%02x", c));
                } else {
                    appendQuoted(sb, c);
                }
            }
        } else {
            text.codePoints().forEach(c -> appendQuoted(sb, c));
        }
        return sb.append('"').toString();
    }

    private static void appendQuoted(StringBuilder sb, int c) {
        switch (c) {
            case '"' -> sb.append("\\\"");
            case '\\' -> sb.append("\\\\");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            default -> {
                if (c < 0x20 || c == 0x7f) {
                    sb.append(String.format("\\x%02x", c));
                } else if (c >= 0x80 && c < 0xa0) {
                    sb.append(String.format("\\u%04x", c));
                } else {
                    sb.appendCodePoint(c);
                }
            }
        }
    }

    private static boolean[] set(java.util.function.IntPredicate member) {
        boolean[] set = new boolean[256];
        for (int c = 0; c < 256; c++) {
            set[c] = member.test(c);
        }
        return set;
    }

    private static byte[] escapes(String escaped, String meaning) {
        byte[] table = new byte[256];
        for (int i = 0; i < escaped.length(); i++) {
            table[escaped.charAt(i)] = (byte) meaning.charAt(i);
        }
        return table;
    }

    /** A syntax error at a byte offset; thrown within the decoder only, so it carries no stack trace. */
    private static final class SyntaxError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int at;
        /** Whether the entry's line end was already read (no need to skip to the next line). */
        boolean entryConsumed;

        SyntaxError(int at, String message) {
            super(message, null, false, false);
            this.at = at;
        }

        SyntaxError consumed() {
            entryConsumed = true;
            return this;
        }
    }

    private static final class ValueError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ValueError(String message) {
            super(message, null, false, false);
        }
    }
}
