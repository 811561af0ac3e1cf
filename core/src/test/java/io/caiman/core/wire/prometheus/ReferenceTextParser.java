package io.caiman.core.wire.prometheus;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.Interner;
import io.caiman.core.wire.MetricFamilies;
import io.caiman.core.wire.Numbers;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.TextLines;
import io.caiman.schemas.oplog.MetricType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Prometheus text parser as it was before it read bytes: line by line over decoded {@code String}s, with
 * {@link Labels} and a {@link ParsedSample} per sample. Kept, unchanged but for its name, as the reference that
 * {@code PrometheusTextParserTest} holds {@link PrometheusTextParser} to: the same samples and the same errors,
 * word for word and column for column, on any input.
 */
final class ReferenceTextParser {

    public static final String FORMAT = "prometheus-text";

    /** At most this many errors are collected; the rest of the input is still checked but not listed. */
    public static final int MAX_ERRORS = 100;

    private final SampleLimits limits;

    /** @param limits what one series may carry (more is an error on its line) */
    ReferenceTextParser(SampleLimits limits) {
        this.limits = limits;
    }

    ReferenceTextParser() {
        this(SampleLimits.GENEROUS);
    }

    public ParseResult parse(byte[] body) {
        List<ParsedSample> samples = new ArrayList<>();
        List<ParseError> errors = new ArrayList<>();
        Map<String, MetricType> types = new HashMap<>();
        Interner names = new Interner();
        Scratch scratch = new Scratch();
        TextLines.forEach(body, (lineNo, line) -> new Line(line, lineNo, types, samples, errors, names, scratch).parse(),
                (lineNo, column, reason) -> addError(errors, new ParseError(FORMAT, lineNo, column, reason)));
        return new ParseResult(samples, errors);
    }

    private static void addError(List<ParseError> errors, ParseError error) {
        if (errors.size() < MAX_ERRORS) {
            errors.add(error);
        }
    }

    /** A sample's labels as read, names and values interleaved: one array for every line of a parse. */
    private static final class Scratch {
        String[] labels = new String[16];
    }

    /** One line's parse; {@code pos} walks it. */
    private final class Line {
        private final Scratch scratch;
        private int labelCount;
        private final String s;
        private final int lineNo;
        private final Map<String, MetricType> types;
        private final List<ParsedSample> samples;
        private final List<ParseError> errors;
        private final Interner names;
        private int pos;

        Line(String s, int lineNo, Map<String, MetricType> types, List<ParsedSample> samples, List<ParseError> errors,
                Interner names, Scratch scratch) {
            this.names = names;
            this.scratch = scratch;
            this.s = s;
            this.lineNo = lineNo;
            this.types = types;
            this.samples = samples;
            this.errors = errors;
        }

        void parse() {
            skipBlanks();
            if (pos == s.length()) {
                return;
            }
            if (s.charAt(pos) == '#') {
                comment();
                return;
            }
            sample();
        }

        private void comment() {
            pos++;
            skipBlanks();
            int wordStart = pos;
            while (pos < s.length() && !isBlank(s.charAt(pos))) {
                pos++;
            }
            String keyword = s.substring(wordStart, pos);
            if (!keyword.equals("TYPE") && !keyword.equals("HELP")) {
                return; // an ordinary comment
            }
            skipBlanks();
            int nameStart = pos;
            String name = metricName();
            if (name == null) {
                return;
            }
            if (keyword.equals("HELP")) {
                return; // docstrings are not kept on the oplog
            }
            skipBlanks();
            int typeCol = pos;
            String type = s.substring(pos).trim();
            MetricType parsed = typeOf(type);
            if (parsed == null) {
                error(typeCol, "unknown metric type '" + type + "'; expected counter, gauge, histogram, summary or untyped");
            } else if (types.containsKey(name)) {
                error(nameStart, "second TYPE line for metric " + name);
            } else {
                types.put(name, parsed);
            }
        }

        private void sample() {
            String name = metricName();
            if (name == null) {
                return;
            }
            labelCount = 0;
            if (pos < s.length() && s.charAt(pos) == '{') {
                pos++;
                if (!labels()) {
                    return;
                }
            }
            if (pos >= s.length() || !isBlank(s.charAt(pos))) {
                error(pos, pos >= s.length() ? "expected a value after " + name : "expected a space before the value");
                return;
            }
            skipBlanks();
            int valueCol = pos;
            int valueEnd = wordEnd();
            Double value = valueEnd > valueCol ? Numbers.parseFloat(s.substring(valueCol, valueEnd)) : null;
            pos = valueEnd;
            if (value == null) {
                String valueText = s.substring(valueCol, valueEnd);
                error(valueCol, valueText.isEmpty() ? "expected a value after " + name
                        : "'" + valueText + "' is not a number (expected a float, NaN, +Inf or -Inf)");
                return;
            }
            skipBlanks();
            Long timestamp = null;
            if (pos < s.length()) {
                int tsCol = pos;
                int tsEnd = wordEnd();
                pos = tsEnd;
                try {
                    timestamp = Long.parseLong(s, tsCol, tsEnd, 10);
                } catch (NumberFormatException e) {
                    error(tsCol, "'" + s.substring(tsCol, tsEnd)
                            + "' is not a timestamp (expected milliseconds since the epoch, an integer)");
                    return;
                }
                skipBlanks();
                if (pos < s.length()) {
                    error(pos, "unexpected text after the timestamp");
                    return;
                }
            }
            Labels set;
            try {
                set = Labels.ofPairs(java.util.Arrays.copyOf(scratch.labels, labelCount));
            } catch (IllegalArgumentException e) {
                error(0, e.getMessage());
                return;
            }
            String limit = limits.check(name, set);
            if (limit != null) {
                error(0, limit);
                return;
            }
            samples.add(new ParsedSample(name, set, value, timestamp, familyType(name), lineNo));
        }

        /** Reads labels after '{' up to and including '}'; false after an error. */
        private boolean labels() {
            while (true) {
                skipBlanks();
                if (pos < s.length() && s.charAt(pos) == '}') {
                    pos++;
                    return true;
                }
                int nameStart = pos;
                int hash = 0;
                for (char c; pos < s.length() && isNameChar(c = s.charAt(pos), pos == nameStart, false); pos++) {
                    hash = 31 * hash + c;
                }
                String label = names.substring(s, nameStart, pos, hash);
                if (label.isEmpty()) {
                    error(pos, pos >= s.length() ? "expected a label name or '}' before the end of the line"
                            : "expected a label name or '}', found '" + s.charAt(pos) + "'");
                    return false;
                }
                if (label.equals("__name__")) {
                    error(nameStart, "label name __name__ is reserved for the metric name");
                    return false;
                }
                skipBlanks();
                if (pos >= s.length() || s.charAt(pos) != '=') {
                    error(pos, "expected '=' after label name " + label);
                    return false;
                }
                pos++;
                skipBlanks();
                if (pos >= s.length() || s.charAt(pos) != '"') {
                    error(pos, "expected '\"' to open the value of label " + label);
                    return false;
                }
                pos++;
                String value = readValue(label);
                if (value == null || !addLabel(label, value, nameStart)) {
                    return false;
                }
                skipBlanks();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                } else if (pos >= s.length() || s.charAt(pos) != '}') {
                    error(pos, "expected ',' or '}' after the value of label " + label);
                    return false;
                }
            }
        }

        /** The value after its opening quote, up to and past the closing one; {@code null} after an error. */
        private String readValue(String label) {
            int close = s.indexOf('"', pos);
            int backslash = s.indexOf('\\', pos);
            if (close >= 0 && (backslash < 0 || backslash > close)) {
                // no escapes: the value is a plain substring
                String plain = names.substring(s, pos, close);
                pos = close + 1;
                return plain;
            }
            StringBuilder value = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    error(pos, "the value of label " + label + " is not closed with '\"'");
                    return null;
                }
                char c = s.charAt(pos++);
                if (c == '"') {
                    return value.toString();
                }
                if (c == '\\') {
                    char e = pos < s.length() ? s.charAt(pos++) : ' ';
                    if (e == '\\' || e == '"') {
                        value.append(e);
                    } else if (e == 'n') {
                        value.append('\n');
                    } else {
                        error(pos - 1, "invalid escape '\\" + e + "' in the value of label " + label
                                + " (allowed: \\\\, \\\", \\n)");
                        return null;
                    }
                } else {
                    value.append(c);
                }
            }
        }

        private boolean addLabel(String label, String value, int nameStart) {
            String[] out = scratch.labels;
            for (int i = 0; i < labelCount; i += 2) {
                if (out[i].equals(label)) {
                    error(nameStart, "label " + label + " is given twice");
                    return false;
                }
            }
            if (labelCount + 2 > out.length) {
                out = scratch.labels = java.util.Arrays.copyOf(out, out.length * 2);
            }
            out[labelCount++] = label;
            out[labelCount++] = value;
            return true;
        }

        private String metricName() {
            int start = pos;
            int hash = 0;
            for (char c; pos < s.length() && isNameChar(c = s.charAt(pos), pos == start, true); pos++) {
                hash = 31 * hash + c;
            }
            if (pos == start) {
                error(pos, pos >= s.length() ? "expected a metric name" : "expected a metric name, found '" + s.charAt(pos)
                        + "'; allowed: [a-zA-Z_:][a-zA-Z0-9_:]*");
                return null;
            }
            return names.substring(s, start, pos, hash);
        }

        /** Where the word at {@code pos} ends: the next blank or the end of the line. */
        private int wordEnd() {
            int end = pos;
            while (end < s.length() && !isBlank(s.charAt(end))) {
                end++;
            }
            return end;
        }

        private MetricType familyType(String name) {
            return MetricFamilies.typeOf(name, types);
        }

        private void skipBlanks() {
            while (pos < s.length() && isBlank(s.charAt(pos))) {
                pos++;
            }
        }

        private void error(int at, String reason) {
            addError(errors, new ParseError(FORMAT, lineNo, at + 1, reason));
        }
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isNameChar(char c, boolean first, boolean colon) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':')
                || (!first && c >= '0' && c <= '9');
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
