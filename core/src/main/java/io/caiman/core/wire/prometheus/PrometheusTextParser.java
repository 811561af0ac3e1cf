package io.caiman.core.wire.prometheus;

import io.caiman.core.model.Naming;
import io.caiman.core.wire.Bytes;
import io.caiman.core.wire.MetricFamilies;
import io.caiman.core.wire.Numbers;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.SampleBatch;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.Utf8;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.SampleKind;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the Prometheus text exposition format 0.0.4: {@code # HELP} and {@code # TYPE} lines, comments,
 * and samples {@code name{label="value",…} value [timestamp]} with the format's escapes, NaN and ±Inf.
 * Metric and label names follow {@link Naming}: other names are errors, never rewritten.
 *
 * <p>Every error names its line and column (in characters); parsing goes on past a bad line so that all of them
 * are reported at once. Arbitrary bytes never make it throw or loop.
 *
 * <p>Samples are read from the body's bytes into a {@link SampleBatch}: a name and each label's name and value
 * are handed over as ranges of the body, and the batch copies them into the series key once. A label value needs no
 * unescaping, because the format escapes values exactly as the key does. A line is decoded to a string only when
 * it is a comment or has an error to name. Hand-written because the Prometheus Java client only writes this
 * format; it does not read it.
 */
public final class PrometheusTextParser {

    public static final String FORMAT = "prometheus-text";

    /** At most this many errors are collected; the rest of the input is still checked but not listed. */
    public static final int MAX_ERRORS = 100;

    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;

    // the errors of a sample line, worded by Parse.fail
    private static final int NO_METRIC_NAME = 0;
    private static final int NO_VALUE = 1;
    private static final int NO_SPACE = 2;
    private static final int NOT_A_NUMBER = 3;
    private static final int NOT_A_TIMESTAMP = 4;
    private static final int TEXT_AFTER = 5;
    private static final int NO_LABEL_NAME = 6;
    private static final int RESERVED = 7;
    private static final int NO_EQUALS = 8;
    private static final int NO_QUOTE = 9;
    private static final int NO_COMMA = 10;
    private static final int NOT_CLOSED = 11;
    private static final int BAD_ESCAPE = 12;
    private static final int TWICE = 13;

    private final SampleLimits limits;

    /** @param limits what one series may carry (more is an error on its line) */
    public PrometheusTextParser(SampleLimits limits) {
        this.limits = limits;
    }

    public PrometheusTextParser() {
        this(SampleLimits.GENEROUS);
    }

    public ParseResult parse(byte[] body) {
        Parse parse = new Parse(body, limits);
        parse.run();
        return new ParseResult(parse.batch, parse.errors);
    }

    /** One body's parse; {@code pos} walks the current line, {@code [lineStart, end)}. */
    private static final class Parse {
        private final byte[] b;
        private final SampleLimits limits;
        private final SampleBatch batch;
        private final List<ParseError> errors = new ArrayList<>();
        private final Map<String, MetricType> types = new HashMap<>();
        private final long[] timestamp = new long[1];
        private CharsetDecoder utf8;
        /** Each label name of the line, start and end, to find one given twice. */
        private int[] labelNames = new int[32];
        private int labelCount;
        /** The name of the last sample whose family was looked up, and its type. */
        private int typedFrom = -1;
        private int typedTo;
        private MetricType typed;

        /** The name of the series being read, for its errors. */
        private int nameFrom;
        private int nameTo;
        /** The value and timestamp of the line being read ({@link #valueAndTimestamp}). */
        private double value;
        private boolean stamped;

        private int lineNo;
        private int lineStart;
        private int end;
        private int pos;
        /** The line decoded, when it is not ASCII (else {@code null} until an error needs it). */
        private String text;
        private boolean ascii;

        Parse(byte[] b, SampleLimits limits) {
            this.b = b;
            this.limits = limits;
            // a key is about its line less the value and timestamp: sized so the batch rarely grows
            this.batch = new SampleBatch(b.length, b.length / 64, b.length / 16);
        }

        void run() {
            byte[] b = this.b;
            int n = b.length;
            int start = 0;
            while (start < n) {
                int e = start;
                long high = 0;
                // eight bytes at a time
                while (e + 8 <= n) {
                    long w = Bytes.word(b, e);
                    long found = Bytes.lanesEqual(w, NEWLINES);
                    if (found != 0) {
                        int k = Long.numberOfTrailingZeros(found) >>> 3; // the first '\n' (later ones may be false)
                        high |= w & ((1L << (k << 3)) - 1);
                        e += k;
                        break;
                    }
                    high |= w;
                    e += 8;
                }
                while (e < n && b[e] != '\n') {
                    high |= b[e];
                    e++;
                }
                lineNo++;
                int stop = e > start && b[e - 1] == '\r' ? e - 1 : e;
                lineStart = start;
                end = stop;
                pos = start;
                ascii = Bytes.highBits(high) == 0;
                text = null;
                if (ascii || decodes()) {
                    line();
                } else {
                    int at = Utf8.invalidAt(b, lineStart, end);
                    addError(new ParseError(FORMAT, lineNo, Utf8.column(b, lineStart, at), Utf8.describe(b, at, end)));
                }
                start = e + 1;
            }
        }

        /** Decodes the line, which is not ASCII, into {@link #text}; false if it is not valid UTF-8. */
        private boolean decodes() {
            if (utf8 == null) {
                utf8 = Utf8.strictDecoder();
            }
            text = Utf8.decode(utf8, b, lineStart, end);
            return text != null;
        }

        private void line() {
            skipBlanks();
            if (pos == end) {
                return;
            }
            if (b[pos] == '#') {
                comment(text(), pos - lineStart); // blanks before it are ASCII: a byte is a character
                return;
            }
            sample();
        }

        private void sample() {
            int nameFrom = pos;
            while (pos < end && isNameByte(b[pos], pos == nameFrom, true)) {
                pos++;
            }
            if (pos == nameFrom) {
                fail(NO_METRIC_NAME, pos, 0, 0);
                return;
            }
            int nameTo = pos;
            this.nameFrom = nameFrom;
            this.nameTo = nameTo;
            batch.series(b, nameFrom, nameTo);
            labelCount = 0;
            if (pos < end && b[pos] == '{') {
                pos++;
                if (!labels()) {
                    return;
                }
            }
            if (!valueAndTimestamp()) {
                return;
            }
            String problem = batch.endSeries(limits);
            if (problem != null) {
                error(lineStart, problem);
                return;
            }
            batch.sample(value, stamped ? timestamp[0] : 0L, stamped, familyType(nameFrom, nameTo), SampleKind.VALUE,
                    lineNo);
        }

        /**
         * Reads the value and the timestamp after the series, into {@link #value}, {@link #stamped} and
         * {@link #timestamp}; false after an error.
         */
        private boolean valueAndTimestamp() {
            if (pos >= end || !isBlank(b[pos])) {
                fail(pos >= end ? NO_VALUE : NO_SPACE, pos, 0, 0);
                return false;
            }
            skipBlanks();
            int valueFrom = pos;
            int valueTo = wordEnd();
            value = Numbers.parseFloat(b, valueFrom, valueTo);
            pos = valueTo;
            if (!Numbers.isNumber(value)) {
                fail(valueTo == valueFrom ? NO_VALUE : NOT_A_NUMBER, valueFrom, valueFrom, valueTo);
                return false;
            }
            skipBlanks();
            stamped = false;
            if (pos < end) {
                int tsFrom = pos;
                int tsTo = wordEnd();
                pos = tsTo;
                if (!Numbers.parseLong(b, tsFrom, tsTo, timestamp)) {
                    fail(NOT_A_TIMESTAMP, tsFrom, tsFrom, tsTo);
                    return false;
                }
                stamped = true;
                skipBlanks();
                if (pos < end) {
                    fail(TEXT_AFTER, pos, 0, 0);
                    return false;
                }
            }
            return true;
        }

        /**
         * Notes error {@code kind} at byte {@code at} of the line: kept out of the methods that read, so they stay
         * small enough for the JIT to compile them the same way every time.
         *
         * @param from the start of what the error names (a label's name, a value), with {@code to}
         */
        private void fail(int kind, int at, int from, int to) {
            String label = from < to ? ascii(from, to) : "";
            String reason = switch (kind) {
                case NO_METRIC_NAME -> at >= end ? "expected a metric name"
                        : "expected a metric name, found '" + charAt(at) + "'; allowed: [a-zA-Z_:][a-zA-Z0-9_:]*";
                case NO_VALUE -> "expected a value after " + ascii(nameFrom, nameTo);
                case NO_SPACE -> "expected a space before the value";
                case NOT_A_NUMBER -> "'" + string(from, to) + "' is not a number (expected a float, NaN, +Inf or -Inf)";
                case NOT_A_TIMESTAMP -> "'" + string(from, to)
                        + "' is not a timestamp (expected milliseconds since the epoch, an integer)";
                case TEXT_AFTER -> "unexpected text after the timestamp";
                case NO_LABEL_NAME -> at >= end ? "expected a label name or '}' before the end of the line"
                        : "expected a label name or '}', found '" + charAt(at) + "'";
                case RESERVED -> "label name __name__ is reserved for the metric name";
                case NO_EQUALS -> "expected '=' after label name " + label;
                case NO_QUOTE -> "expected '\"' to open the value of label " + label;
                case NO_COMMA -> "expected ',' or '}' after the value of label " + label;
                case NOT_CLOSED -> "the value of label " + label + " is not closed with '\"'";
                case BAD_ESCAPE -> "invalid escape '\\" + (at + 1 < end || b[at] != '\\' ? charAt(at) : ' ')
                        + "' in the value of label " + label + " (allowed: \\\\, \\\", \\n)";
                case TWICE -> "label " + label + " is given twice";
                default -> throw new IllegalArgumentException("no error " + kind);
            };
            error(at, reason);
        }

        /** Reads labels after '{' up to and including '}'; false after an error. */
        private boolean labels() {
            while (true) {
                skipBlanks();
                if (pos < end && b[pos] == '}') {
                    pos++;
                    return true;
                }
                int nameFrom = pos;
                while (pos < end && isNameByte(b[pos], pos == nameFrom, false)) {
                    pos++;
                }
                int nameTo = pos;
                if (nameTo == nameFrom) {
                    fail(NO_LABEL_NAME, pos, 0, 0);
                    return false;
                }
                if (SampleBatch.isNameLabel(b, nameFrom, nameTo)) {
                    fail(RESERVED, nameFrom, 0, 0);
                    return false;
                }
                skipBlanks();
                if (pos >= end || b[pos] != '=') {
                    fail(NO_EQUALS, pos, nameFrom, nameTo);
                    return false;
                }
                pos++;
                skipBlanks();
                if (pos >= end || b[pos] != '"') {
                    fail(NO_QUOTE, pos, nameFrom, nameTo);
                    return false;
                }
                pos++;
                int valueFrom = pos;
                if (!value(nameFrom, nameTo)) {
                    return false;
                }
                if (!distinct(nameFrom, nameTo)) {
                    return false;
                }
                batch.label(nameFrom, nameTo, valueFrom, pos - 1, true);
                skipBlanks();
                if (pos < end && b[pos] == ',') {
                    pos++;
                } else if (pos >= end || b[pos] != '}') {
                    fail(NO_COMMA, pos, nameFrom, nameTo);
                    return false;
                }
            }
        }

        /**
         * Walks a value after its opening quote, up to and past the closing one, checking its escapes (the format's
         * are the key's: {@code \\}, {@code \"}, {@code \n}); false after an error.
         */
        private boolean value(int nameFrom, int nameTo) {
            while (true) {
                if (pos >= end) {
                    fail(NOT_CLOSED, pos, nameFrom, nameTo);
                    return false;
                }
                byte c = b[pos++];
                if (c == '"') {
                    return true;
                }
                if (c == '\\') {
                    if (pos >= end) { // a backslash last on the line escapes nothing: named at itself
                        fail(BAD_ESCAPE, pos - 1, nameFrom, nameTo);
                        return false;
                    }
                    byte e = b[pos++];
                    if (e != '\\' && e != '"' && e != 'n') {
                        fail(BAD_ESCAPE, pos - 1, nameFrom, nameTo);
                        return false;
                    }
                }
            }
        }

        /** Notes a label's name; false, after an error, if the line gave it before. */
        private boolean distinct(int nameFrom, int nameTo) {
            int[] names = labelNames;
            for (int i = 0; i < 2 * labelCount; i += 2) {
                if (Arrays.equals(b, names[i], names[i + 1], b, nameFrom, nameTo)) {
                    fail(TWICE, nameFrom, nameFrom, nameTo);
                    return false;
                }
            }
            if (2 * labelCount + 2 > names.length) {
                names = labelNames = Arrays.copyOf(names, names.length * 2);
            }
            names[2 * labelCount] = nameFrom;
            names[2 * labelCount + 1] = nameTo;
            labelCount++;
            return true;
        }

        /** A {@code # TYPE} or {@code # HELP} line (others are ordinary comments), read from its text from '#' at {@code p}. */
        private void comment(String s, int p) {
            p++;
            p = skipBlanks(s, p);
            int wordStart = p;
            while (p < s.length() && !isBlank(s.charAt(p))) {
                p++;
            }
            String keyword = s.substring(wordStart, p);
            if (!keyword.equals("TYPE") && !keyword.equals("HELP")) {
                return; // an ordinary comment
            }
            p = skipBlanks(s, p);
            int nameStart = p;
            while (p < s.length() && isNameChar(s.charAt(p), p == nameStart)) {
                p++;
            }
            if (p == nameStart) {
                column(p, p >= s.length() ? "expected a metric name" : "expected a metric name, found '" + s.charAt(p)
                        + "'; allowed: [a-zA-Z_:][a-zA-Z0-9_:]*");
                return;
            }
            String name = s.substring(nameStart, p);
            if (keyword.equals("HELP")) {
                return; // docstrings are not kept on the oplog
            }
            p = skipBlanks(s, p);
            String type = s.substring(p).trim();
            MetricType parsed = typeOf(type);
            if (parsed == null) {
                column(p, "unknown metric type '" + type + "'; expected counter, gauge, histogram, summary or untyped");
            } else if (types.containsKey(name)) {
                column(nameStart, "second TYPE line for metric " + name);
            } else {
                types.put(name, parsed);
                typedFrom = -1; // a type now known may be the one the last look-up did not find
            }
        }

        /** The declared type of the family of the sample named {@code b[from, to)}. */
        private MetricType familyType(int from, int to) {
            if (types.isEmpty()) {
                return MetricType.UNKNOWN;
            }
            if (typedFrom < 0 || !Arrays.equals(b, typedFrom, typedTo, b, from, to)) {
                typed = MetricFamilies.typeOf(ascii(from, to), types);
                typedFrom = from;
                typedTo = to;
            }
            return typed;
        }

        /** Where the word at {@code pos} ends: the next blank or the end of the line. */
        private int wordEnd() {
            int e = pos;
            while (e < end && !isBlank(b[e])) {
                e++;
            }
            return e;
        }

        private void skipBlanks() {
            while (pos < end && isBlank(b[pos])) {
                pos++;
            }
        }

        private static int skipBlanks(String s, int p) {
            while (p < s.length() && isBlank(s.charAt(p))) {
                p++;
            }
            return p;
        }

        /** The line as a string. */
        private String text() {
            if (text == null) {
                text = new String(b, lineStart, end - lineStart, StandardCharsets.ISO_8859_1); // ASCII: decoded otherwise
            }
            return text;
        }

        /** The character index in the line of byte {@code at}, which starts a character. */
        private int index(int at) {
            return ascii ? at - lineStart : new String(b, lineStart, at - lineStart, StandardCharsets.UTF_8).length();
        }

        private char charAt(int at) {
            return ascii ? (char) b[at] : text.charAt(index(at));
        }

        private String string(int from, int to) {
            return new String(b, from, to - from, StandardCharsets.UTF_8);
        }

        private String ascii(int from, int to) {
            return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
        }

        /** An error at byte {@code at} of the line. */
        private void error(int at, String reason) {
            column(index(at), reason);
        }

        /** An error at character {@code index} of the line. */
        private void column(int index, String reason) {
            addError(new ParseError(FORMAT, lineNo, index + 1, reason));
        }

        private void addError(ParseError error) {
            if (errors.size() < MAX_ERRORS) {
                errors.add(error);
            }
        }
    }

    private static boolean isBlank(int c) {
        return c == ' ' || c == '\t';
    }

    /** Whether a byte may be in a metric ({@code colon}) or label name; no byte of a character past ASCII may. */
    private static boolean isNameByte(byte c, boolean first, boolean colon) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':')
                || (!first && c >= '0' && c <= '9');
    }

    private static boolean isNameChar(char c, boolean first) {
        return c < 0x80 && isNameByte((byte) c, first, true);
    }

    private static MetricType typeOf(String type) {
        switch (type) {
            case "counter": return MetricType.COUNTER;
            case "gauge": return MetricType.GAUGE;
            case "histogram": return MetricType.HISTOGRAM;
            case "summary": return MetricType.SUMMARY;
            case "untyped": return MetricType.UNKNOWN;
            default: return null;
        }
    }
}
