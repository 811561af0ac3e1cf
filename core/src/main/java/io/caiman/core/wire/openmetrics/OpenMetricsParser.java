package io.caiman.core.wire.openmetrics;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.Numbers;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.Utf8;
import io.caiman.schemas.oplog.MetricType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Parses OpenMetrics 1.0 text ({@code application/openmetrics-text; version=1.0.0}) with the rules of its
 * reference parser: a final {@code # EOF}; no blank lines; only HELP, TYPE and UNIT metadata, once each,
 * before the family's samples; sample names per type ({@code _total}, {@code _bucket}, …) and no clashing
 * families; counter-like values never NaN or negative; canonical {@code le} and {@code quantile} labels;
 * stateset and info values; groups contiguous with timestamps in order; histogram buckets in order with a
 * {@code +Inf} bucket matching {@code _count}; exemplars only on buckets and counters, their labels at most
 * 128 characters. Timestamps are seconds and become milliseconds.
 *
 * <p>Every error names its line and column. Exemplars are checked but not kept: Caiman stores samples.
 *
 * <p>Hand-written: no Java library reads OpenMetrics text (the Prometheus Java client only writes it).
 */
public final class OpenMetricsParser {

    public static final String FORMAT = "openmetrics";
    public static final String CONTENT_TYPE = "application/openmetrics-text";

    private static final Map<String, List<String>> SUFFIXES = Map.of(
            "counter", List.of("_total", "_created"),
            "summary", List.of("", "_count", "_sum", "_created"),
            "histogram", List.of("_count", "_sum", "_bucket", "_created"),
            "gaugehistogram", List.of("_gcount", "_gsum", "_bucket"),
            "info", List.of("_info"));
    private static final Set<String> TYPES =
            Set.of("counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown");
    private static final Set<String> COUNTER_LIKE = Set.of("_total", "_sum", "_count", "_bucket", "_gcount", "_gsum");

    private final SampleLimits limits;

    public OpenMetricsParser(SampleLimits limits) {
        this.limits = limits;
    }

    public OpenMetricsParser() {
        this(SampleLimits.GENEROUS);
    }

    /** Whether a {@code Content-Type} names OpenMetrics text. */
    public static boolean isOpenMetrics(String contentType) {
        return contentType != null && contentType.trim().toLowerCase(Locale.ROOT).startsWith(CONTENT_TYPE);
    }

    public ParseResult parse(byte[] body) {
        String text = Utf8.decode(body, 0, body.length);
        if (text == null) { // OpenMetrics is UTF-8 throughout: refused whole, naming the place
            return new ParseResult(List.of(), List.of(notUtf8(body)));
        }
        return new Run(text).parse();
    }

    private static ParseError notUtf8(byte[] body) {
        int bad = Utf8.invalidAt(body, 0, body.length);
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < bad; i++) {
            if (body[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new ParseError(FORMAT, line, Utf8.column(body, lineStart, bad),
                "the body is " + Utf8.describe(body, bad, body.length));
    }

    /** One sample as read, with what the family checks need. */
    private static final class Sample {
        final String name;
        final Map<String, String> labels;
        final double value;
        final Double timestampSeconds;
        final int line;

        Sample(String name, Map<String, String> labels, double value, Double timestampSeconds, int line) {
            this.name = name;
            this.labels = labels;
            this.value = value;
            this.timestampSeconds = timestampSeconds;
            this.line = line;
        }
    }

    /** Thrown inside the parse of one line; becomes a {@link ParseError}. */
    private static final class LineError extends Exception {
        final int column;

        LineError(int column, String message) {
            super(message, null, false, false);
            this.column = column;
        }
    }

    /** The state of one parse. */
    private final class Run {
        final String text;
        final List<ParsedSample> out = new ArrayList<>();
        final List<ParseError> errors = new ArrayList<>();
        final Set<String> seenNames = new HashSet<>();
        // the current family
        String name;
        String type;
        String unit;
        boolean hasHelp;
        int familyLine;
        List<String> allowed = List.of();
        List<Sample> samples = new ArrayList<>();
        Map<String, String> group;
        Set<Map<String, String>> seenGroups = new HashSet<>();
        Double groupTimestamp;
        Set<String> groupSeries = new HashSet<>();

        Run(String text) {
            this.text = text;
        }

        ParseResult parse() {
            String[] lines = text.split("\n", -1);
            int count = lines.length;
            if (count > 0 && lines[count - 1].isEmpty()) {
                count--; // the final newline
            }
            boolean eof = false;
            for (int i = 0; i < count && errors.isEmpty(); i++) {
                int lineNo = i + 1;
                String line = lines[i];
                try {
                    if (eof) {
                        throw new LineError(1, "text after # EOF");
                    }
                    if (line.isEmpty()) {
                        throw new LineError(1, "blank line (OpenMetrics allows none)");
                    }
                    if (line.equals("# EOF")) {
                        eof = true;
                    } else if (line.startsWith("#")) {
                        metadata(line, lineNo);
                    } else {
                        sample(line, lineNo);
                    }
                } catch (LineError e) {
                    errors.add(new ParseError(FORMAT, lineNo, e.column, e.getMessage()));
                }
            }
            if (errors.isEmpty()) {
                try {
                    endFamily();
                } catch (LineError e) {
                    errors.add(new ParseError(FORMAT, familyLine, e.column, e.getMessage()));
                }
                if (!eof && errors.isEmpty()) {
                    errors.add(new ParseError(FORMAT, count + 1, 1, "missing # EOF at the end"));
                }
            }
            return errors.isEmpty() ? new ParseResult(out, List.of()) : new ParseResult(List.of(), errors);
        }

        void metadata(String line, int lineNo) throws LineError {
            String[] parts = line.split(" ", 4);
            if (parts.length < 4 || !parts[0].equals("#")) {
                throw new LineError(1, "expected '# HELP|TYPE|UNIT <name> <text>' or '# EOF'");
            }
            String candidate = parts[2];
            if (Naming.validateMetricName(candidate) != null) {
                throw new LineError(parts[0].length() + parts[1].length() + 3, Naming.validateMetricName(candidate));
            }
            if (candidate.equals(name) && !samples.isEmpty()) {
                throw new LineError(1, "metadata for " + name + " after its samples");
            }
            if (!candidate.equals(name)) {
                endFamily();
                startFamily(candidate, null, lineNo);
            }
            int textColumn = line.length() - parts[3].length() + 1;
            switch (parts[1]) {
                case "HELP":
                    if (hasHelp) {
                        throw new LineError(3, "second HELP for " + name);
                    }
                    hasHelp = true;
                    break;
                case "TYPE":
                    if (type != null) {
                        throw new LineError(3, "second TYPE for " + name);
                    }
                    if (!TYPES.contains(parts[3])) {
                        throw new LineError(textColumn, "unknown type '" + parts[3] + "'; expected one of "
                                + String.join(", ", new java.util.TreeSet<>(TYPES)));
                    }
                    type = parts[3];
                    allowed = suffixed(name, type);
                    break;
                case "UNIT":
                    if (unit != null) {
                        throw new LineError(3, "second UNIT for " + name);
                    }
                    unit = parts[3];
                    break;
                default:
                    throw new LineError(3, "unknown metadata '" + parts[1] + "'; expected HELP, TYPE or UNIT");
            }
        }

        void startFamily(String family, String familyType, int lineNo) {
            name = family;
            type = familyType;
            unit = null;
            hasHelp = false;
            familyLine = lineNo;
            allowed = familyType == null ? List.of(family) : suffixed(family, familyType);
            samples = new ArrayList<>();
            group = null;
            seenGroups = new HashSet<>();
            groupTimestamp = null;
            groupSeries = new HashSet<>();
        }

        List<String> suffixed(String family, String familyType) {
            List<String> names = new ArrayList<>();
            for (String suffix : SUFFIXES.getOrDefault(familyType, List.of(""))) {
                names.add(family + suffix);
            }
            return names;
        }

        void sample(String line, int lineNo) throws LineError {
            Cursor c = new Cursor(line);
            String sampleName = c.metricName();
            Map<String, String> labels = c.peek() == '{' ? c.labels() : new LinkedHashMap<>();
            c.expect(' ', "a space before the value");
            int valueColumn = c.pos + 1;
            Double value = Numbers.parseFloat(c.until(' '));
            if (value == null) {
                throw new LineError(valueColumn, "'" + line.substring(valueColumn - 1, c.pos) + "' is not a number");
            }
            Double timestamp = null;
            boolean exemplar = false;
            if (!c.atEnd()) {
                c.expect(' ', "a space");
                if (c.peek() == '#') {
                    exemplar = true;
                } else {
                    int tsColumn = c.pos + 1;
                    timestamp = parseTimestamp(c.until(' '), tsColumn);
                    if (!c.atEnd()) {
                        c.expect(' ', "a space");
                        exemplar = true;
                    }
                }
            }
            if (exemplar) {
                c.exemplar();
            }
            if (!allowed.contains(sampleName)) {
                endFamily();
                startFamily(sampleName, null, lineNo);
                type = "unknown";
            }
            check(new Sample(sampleName, labels, value, timestamp, lineNo), exemplar, line);
        }

        void check(Sample s, boolean exemplar, String line) throws LineError {
            String suffix = s.name.substring(name.length());
            if ("stateset".equals(type) && !s.labels.containsKey(name)) {
                throw new LineError(1, "stateset sample without its " + name + " label");
            }
            if (suffix.equals("_bucket")) {
                String le = s.labels.get("le");
                if (le == null || !isCanonicalNumber(le) || Double.isNaN(Numbers.parseFloat(le))) {
                    throw new LineError(1, "bucket needs an le label with a number (+Inf for infinity), got " + le);
                }
            }
            if ("summary".equals(type) && suffix.isEmpty()) {
                String q = s.labels.get("quantile");
                Double phi = q == null ? null : Numbers.parseFloat(q);
                if (phi == null || !isCanonicalNumber(q) || !(phi >= 0 && phi <= 1)) {
                    throw new LineError(1, "summary quantile needs a quantile label from 0 to 1, got " + q);
                }
                if (s.value < 0) {
                    throw new LineError(1, "quantile values cannot be negative");
                }
            }
            Map<String, String> g = groupOf(s);
            if (group != null && !g.equals(group) && seenGroups.contains(g)) {
                throw new LineError(1, "samples of one group (" + g + ") are not together");
            }
            if (group != null && g.equals(group)) {
                if ((s.timestampSeconds == null) != (groupTimestamp == null)) {
                    throw new LineError(1, "some samples of the group have a timestamp and some do not");
                }
                if (groupTimestamp != null && groupTimestamp > s.timestampSeconds && !"info".equals(type)) {
                    throw new LineError(1, "timestamps go backwards within a group");
                }
            } else {
                groupSeries = new HashSet<>();
            }
            String seriesId = s.name + new TreeMap<>(s.labels);
            boolean duplicate = Objects.equals(s.timestampSeconds, groupTimestamp) && groupSeries.contains(seriesId);
            groupSeries.add(seriesId);
            group = g;
            groupTimestamp = s.timestampSeconds;
            seenGroups.add(g);
            if ("stateset".equals(type) && s.value != 0 && s.value != 1) {
                throw new LineError(1, "stateset values are 0 or 1");
            }
            if ("info".equals(type) && s.value != 1) {
                throw new LineError(1, "info values are 1");
            }
            if (COUNTER_LIKE.contains(suffix) && Double.isNaN(s.value)) {
                throw new LineError(1, s.name + " is counter-like and cannot be NaN");
            }
            // a gauge histogram's _gsum may be negative; every other counter-like value may not
            if (COUNTER_LIKE.contains(suffix) && !suffix.equals("_gsum") && s.value < 0) {
                throw new LineError(1, s.name + " is counter-like and cannot be negative");
            }
            if (exemplar && !((("histogram".equals(type) || "gaugehistogram".equals(type)) && suffix.equals("_bucket"))
                    || ("counter".equals(type) && suffix.equals("_total")))) {
                throw new LineError(line.indexOf(" # ") + 2, "exemplars are allowed only on histogram buckets and counter totals");
            }
            if (!duplicate) {
                samples.add(s);
            }
        }

        Map<String, String> groupOf(Sample s) {
            if ("info".equals(type)) {
                return Map.of();
            }
            Map<String, String> g = new TreeMap<>(s.labels);
            if ("summary".equals(type) && s.name.equals(name)) {
                g.remove("quantile");
            } else if ("stateset".equals(type)) {
                g.remove(name);
            } else if (("histogram".equals(type) || "gaugehistogram".equals(type)) && s.name.equals(name + "_bucket")) {
                g.remove("le");
            }
            return g;
        }

        /** Closes the current family: name clashes, unit, histogram consistency; emits its samples. */
        void endFamily() throws LineError {
            if (name == null) {
                return;
            }
            String t = type == null ? "unknown" : type;
            Set<String> suffixes = new HashSet<>(SUFFIXES.getOrDefault(t, List.of()));
            suffixes.add("");
            for (String suffix : suffixes) {
                if (!seenNames.add(name + suffix)) {
                    throw new LineError(1, "metric family name " + name + suffix + " clashes with an earlier family");
                }
            }
            if (unit != null && !unit.isEmpty()) {
                if (!name.endsWith("_" + unit)) {
                    throw new LineError(1, "UNIT " + unit + " does not match the name " + name + " (it must end _" + unit + ")");
                }
                if (t.equals("info") || t.equals("stateset")) {
                    throw new LineError(1, t + " metrics have no unit");
                }
            }
            if (t.equals("histogram") || t.equals("gaugehistogram")) {
                checkHistogram();
            }
            MetricType metricType = metricType(t);
            for (Sample s : samples) {
                Labels labels;
                try {
                    labels = Labels.of(s.labels);
                } catch (IllegalArgumentException e) {
                    throw new LineError(1, e.getMessage());
                }
                String limit = limits.check(s.name, labels);
                if (limit != null) {
                    errors.add(new ParseError(FORMAT, s.line, 1, limit));
                    continue;
                }
                Long ms = s.timestampSeconds == null ? null : (long) Math.floor(s.timestampSeconds * 1000);
                out.add(new ParsedSample(s.name, labels, s.value, ms, metricType, s.line));
            }
            name = null;
        }

        void checkHistogram() throws LineError {
            Map<String, String> g = null;
            Double ts = null;
            boolean first = true;
            Double count = null;
            Double bucket = null;
            double value = 0;
            boolean negativeBuckets = false;
            boolean hasSum = false;
            boolean hasGsum = false;
            boolean negativeGsum = false;
            for (Sample s : samples) {
                String suffix = s.name.substring(name.length());
                Map<String, String> sg = new TreeMap<>(s.labels);
                if (suffix.equals("_bucket")) {
                    sg.remove("le");
                }
                if (first || !sg.equals(g) || !Objects.equals(s.timestampSeconds, ts)) {
                    if (!first) {
                        histogramGroupChecks(bucket, count, value, hasSum, hasGsum, negativeBuckets, negativeGsum);
                    }
                    first = false;
                    count = null;
                    bucket = null;
                    negativeBuckets = false;
                    hasSum = false;
                    hasGsum = false;
                    negativeGsum = false;
                    value = 0;
                }
                g = sg;
                ts = s.timestampSeconds;
                switch (suffix) {
                    case "_bucket":
                        double b = Numbers.parseFloat(s.labels.get("le"));
                        if (b < 0) {
                            negativeBuckets = true;
                        }
                        if (bucket != null && b <= bucket) {
                            throw new LineError(1, "buckets of " + name + " out of order (le " + s.labels.get("le") + ")");
                        }
                        if (s.value < value) {
                            throw new LineError(1, "bucket counts of " + name + " decrease (le " + s.labels.get("le") + ")");
                        }
                        bucket = b;
                        value = s.value;
                        break;
                    case "_count":
                    case "_gcount":
                        count = s.value;
                        break;
                    case "_sum":
                        hasSum = true;
                        break;
                    case "_gsum":
                        hasGsum = true;
                        negativeGsum |= s.value < 0;
                        break;
                    default:
                }
            }
            if (!first) {
                histogramGroupChecks(bucket, count, value, hasSum, hasGsum, negativeBuckets, negativeGsum);
            }
        }

        void histogramGroupChecks(Double bucket, Double count, double value, boolean hasSum, boolean hasGsum,
                boolean negativeBuckets, boolean negativeGsum) throws LineError {
            if (bucket == null || bucket != Double.POSITIVE_INFINITY) {
                throw new LineError(1, "histogram " + name + " has no +Inf bucket");
            }
            if (count != null && value != count) {
                throw new LineError(1, "histogram " + name + ": the count does not match the +Inf bucket");
            }
            if (hasSum && count == null) {
                throw new LineError(1, "histogram " + name + " has _sum without _count");
            }
            if (hasGsum && count == null) {
                throw new LineError(1, "histogram " + name + " has _gsum without _gcount");
            }
            if (!(hasSum || hasGsum) && count != null) {
                throw new LineError(1, "histogram " + name + " has a count without a sum");
            }
            if (negativeBuckets && hasSum) {
                throw new LineError(1, "histogram " + name + " has negative buckets, so it cannot have _sum");
            }
            if (!negativeBuckets && negativeGsum) {
                throw new LineError(1, "histogram " + name + " has a negative _gsum without negative buckets");
            }
        }
    }

    /** Walks one sample line. */
    private static final class Cursor {
        final String s;
        int pos;

        Cursor(String s) {
            this.s = s;
        }

        boolean atEnd() {
            return pos >= s.length();
        }

        char peek() {
            return atEnd() ? '\0' : s.charAt(pos);
        }

        void expect(char c, String what) throws LineError {
            if (peek() != c) {
                throw new LineError(pos + 1, "expected " + what + (atEnd() ? " before the end of the line"
                        : ", found '" + peek() + "'"));
            }
            pos++;
        }

        String until(char stop) {
            int start = pos;
            while (!atEnd() && s.charAt(pos) != stop) {
                pos++;
            }
            return s.substring(start, pos);
        }

        String metricName() throws LineError {
            int start = pos;
            while (!atEnd() && s.charAt(pos) != '{' && s.charAt(pos) != ' ') {
                pos++;
            }
            String name = s.substring(start, pos);
            String problem = Naming.validateMetricName(name);
            if (problem != null) {
                throw new LineError(start + 1, problem);
            }
            return name;
        }

        /** {@code {name="value",…}} with nothing else: no spaces, no trailing comma. */
        Map<String, String> labels() throws LineError {
            Map<String, String> labels = new LinkedHashMap<>();
            expect('{', "'{'");
            if (peek() == '}') {
                pos++;
                return labels;
            }
            while (true) {
                int nameStart = pos;
                while (!atEnd() && s.charAt(pos) != '=' && s.charAt(pos) != '}' && s.charAt(pos) != ',') {
                    pos++;
                }
                String label = s.substring(nameStart, pos);
                String problem = Naming.validateLabelName(label);
                if (problem != null) {
                    throw new LineError(nameStart + 1, problem);
                }
                expect('=', "'=' after label name " + label);
                expect('"', "'\"' to open the value of label " + label);
                StringBuilder value = new StringBuilder();
                while (true) {
                    if (atEnd()) {
                        throw new LineError(pos + 1, "the value of label " + label + " is not closed with '\"'");
                    }
                    char ch = s.charAt(pos++);
                    if (ch == '"') {
                        break;
                    }
                    if (ch == '\\' && !atEnd()) {
                        char e = s.charAt(pos++);
                        value.append(e == 'n' ? "\n" : e == '\\' ? "\\" : e == '"' ? "\"" : "\\" + e);
                    } else {
                        value.append(ch);
                    }
                }
                if (labels.containsKey(label)) {
                    throw new LineError(nameStart + 1, "label " + label + " is given twice");
                }
                labels.put(label, value.toString());
                if (peek() == '}') {
                    pos++;
                    return labels;
                }
                expect(',', "',' or '}' after the value of label " + label);
                if (peek() == '}') {
                    throw new LineError(pos + 1, "a ',' before '}' (OpenMetrics allows no trailing comma)");
                }
            }
        }

        /** {@code # {labels} value [timestamp]} after the sample, checked and dropped. */
        void exemplar() throws LineError {
            expect('#', "'#' to start an exemplar");
            expect(' ', "a space after '#'");
            int labelsColumn = pos + 1;
            Map<String, String> labels = labels();
            int length = 0;
            for (Map.Entry<String, String> e : labels.entrySet()) {
                length += e.getKey().codePointCount(0, e.getKey().length()) + e.getValue().codePointCount(0, e.getValue().length());
            }
            if (length > 128) {
                throw new LineError(labelsColumn, "exemplar labels are " + length + " characters; the limit is 128");
            }
            expect(' ', "a space before the exemplar value");
            int valueColumn = pos + 1;
            String value = until(' ');
            if (Numbers.parseFloat(value) == null) {
                throw new LineError(valueColumn, "exemplar value '" + value + "' is not a number");
            }
            if (!atEnd()) {
                expect(' ', "a space");
                parseTimestamp(until(' '), pos + 1);
                if (!atEnd()) {
                    throw new LineError(pos + 1, "unexpected text after the exemplar");
                }
            }
        }
    }


    /** Seconds: an integer, {@code a.b}, or a finite float. */
    static Double parseTimestamp(String text, int column) throws LineError {
        Double value = Numbers.parseFloat(text);
        if (value == null || value.isNaN() || value.isInfinite()) {
            throw new LineError(column, "'" + text + "' is not a timestamp (seconds since the epoch)");
        }
        return value;
    }

    /** Infinities must be written +Inf or -Inf in le and quantile labels. */
    static boolean isCanonicalNumber(String text) {
        Double v = Numbers.parseFloat(text);
        if (v == null) {
            return false;
        }
        return !v.isInfinite() || text.equals("+Inf") || text.equals("-Inf");
    }

    private static MetricType metricType(String type) {
        switch (type) {
            case "counter": return MetricType.COUNTER;
            case "gauge": return MetricType.GAUGE;
            case "histogram": return MetricType.HISTOGRAM;
            case "gaugehistogram": return MetricType.GAUGE_HISTOGRAM;
            case "summary": return MetricType.SUMMARY;
            case "info": return MetricType.INFO;
            case "stateset": return MetricType.STATESET;
            default: return MetricType.UNKNOWN;
        }
    }
}
