package io.caiman.core.wire.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.Json;
import io.caiman.core.wire.Numbers;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.Utf8;
import io.caiman.schemas.oplog.MetricType;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * OpenTelemetry metrics (OTLP, {@code ExportMetricsServiceRequest}) into Prometheus samples, named the way
 * Prometheus' own OTLP receiver names them by default ({@code UnderscoreEscapingWithSuffixes}):
 *
 * <ul>
 *   <li><b>Metric names</b>: characters outside {@code [a-zA-Z0-9:]} split the name into words joined by one
 *       {@code _}; the unit is added as a word ({@code s} → {@code seconds}, {@code By} → {@code bytes},
 *       {@code m/s} → {@code meters_per_second}; units in braces such as {@code {request}} add nothing) unless
 *       the name already has it; monotonic sums end in {@code _total}, gauges of unit {@code 1} in
 *       {@code _ratio}; a leading digit gets a {@code _}.
 *   <li><b>Labels</b>: data point attributes, their keys with invalid characters as {@code _}, a leading digit
 *       prefixed {@code key_}, a single leading {@code _} prefixed {@code key}; attributes whose keys become the
 *       same label have their values joined with {@code ;} in key order. The resource's {@code service.name}
 *       (after {@code service.namespace/} when set) becomes {@code job} and {@code service.instance.id}
 *       becomes {@code instance}; they override attributes of those names. Other resource attributes go on one
 *       {@code target_info} series per resource (value 1), as Prometheus does. Non-string attribute values are
 *       written as OpenTelemetry's {@code AsString} writes them (arrays and maps as JSON).
 *   <li><b>Types</b>: gauge → gauge; cumulative monotonic sum → counter; cumulative non-monotonic sum →
 *       gauge; histogram → {@code _bucket{le}} (cumulative counts, {@code +Inf} = count), {@code _sum},
 *       {@code _count}; summary → {@code {quantile}}, {@code _sum}, {@code _count}.
 *   <li><b>Refused</b>, data point by data point (the rest of the request is written and the sender told how
 *       many were refused and why, OTLP's partial success): delta temporality (a stateless gateway cannot turn
 *       deltas into the cumulative series Prometheus queries expect; set the exporter's temporality preference
 *       to cumulative), exponential histograms (Prometheus native histograms, which Caiman does not store),
 *       histograms whose bucket counts do not match their bounds, names that leave nothing valid, and series
 *       over the limits.
 *   <li>A data point flagged {@code FLAG_NO_RECORDED_VALUE} becomes a Prometheus stale marker; exemplars and
 *       start times are not stored.
 * </ul>
 */
public final class OtlpMetricsParser {

    public static final String FORMAT = "otlp";
    /** Prometheus' stale marker, what a point with no recorded value becomes. */
    public static final double STALE_NAN = Numbers.STALE_NAN;

    /** How the request is encoded, from its {@code Content-Type}. */
    public enum Encoding {
        PROTOBUF, JSON;

        /** {@code application/x-protobuf} or {@code application/json} (parameters ignored), else {@code null}. */
        public static Encoding of(String contentType) {
            if (contentType == null) {
                return null;
            }
            String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            return switch (type) {
                case "application/x-protobuf", "application/protobuf" -> PROTOBUF;
                case "application/json" -> JSON;
                default -> null;
            };
        }
    }

    private static final int MAX_ERRORS = 100;
    private static final java.util.regex.Pattern NOT_UNIT_WORD = java.util.regex.Pattern.compile("[^a-zA-Z0-9]+");
    private static final Map<String, String> UNITS = Map.ofEntries(
            Map.entry("d", "days"), Map.entry("h", "hours"), Map.entry("min", "minutes"), Map.entry("s", "seconds"),
            Map.entry("ms", "milliseconds"), Map.entry("us", "microseconds"), Map.entry("ns", "nanoseconds"),
            Map.entry("By", "bytes"), Map.entry("KiBy", "kibibytes"), Map.entry("MiBy", "mebibytes"),
            Map.entry("GiBy", "gibibytes"), Map.entry("TiBy", "tibibytes"), Map.entry("KBy", "kilobytes"),
            Map.entry("MBy", "megabytes"), Map.entry("GBy", "gigabytes"), Map.entry("TBy", "terabytes"),
            Map.entry("m", "meters"), Map.entry("V", "volts"), Map.entry("A", "amperes"), Map.entry("J", "joules"),
            Map.entry("W", "watts"), Map.entry("g", "grams"), Map.entry("Cel", "celsius"), Map.entry("Hz", "hertz"),
            Map.entry("1", ""), Map.entry("%", "percent"));
    private static final Map<String, String> PER_UNITS = Map.of("s", "second", "m", "minute", "h", "hour", "d", "day",
            "w", "week", "mo", "month", "y", "year");

    private final SampleLimits limits;

    public OtlpMetricsParser(SampleLimits limits) {
        this.limits = limits;
    }

    /**
     * Reads a request body (already without its {@code Content-Encoding}). Unknown fields are ignored, as OTLP
     * asks of receivers.
     *
     * @throws InvalidProtocolBufferException with the reason, when the body is not a request in {@code encoding}
     */
    public static ExportMetricsServiceRequest read(byte[] body, Encoding encoding) throws InvalidProtocolBufferException {
        if (encoding == Encoding.PROTOBUF) {
            return ExportMetricsServiceRequest.parseFrom(body);
        }
        ExportMetricsServiceRequest.Builder builder = ExportMetricsServiceRequest.newBuilder();
        // JSON is UTF-8 (RFC 8259 §8.1); decoding it leniently would turn such bytes into U+FFFD in names
        String text = Utf8.decode(body, 0, body.length);
        if (text == null) {
            int bad = Utf8.invalidAt(body, 0, body.length);
            throw new InvalidProtocolBufferException("byte " + bad + " of the JSON: " + Utf8.describe(body, bad,
                    body.length));
        }
        try {
            JsonFormat.parser().ignoringUnknownFields().merge(text, builder);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // JsonFormat lets some malformed input out as an unchecked exception; it is still the sender's error
            throw new InvalidProtocolBufferException(e.getMessage());
        }
        return builder.build();
    }

    /** Parses and translates a body; a body that cannot be read is one error with no samples. */
    public ParseResult parse(byte[] body, Encoding encoding) {
        try {
            return translate(read(body, encoding));
        } catch (InvalidProtocolBufferException e) {
            return new ParseResult(List.of(), List.of(ParseError.binary(FORMAT, "the body is not a valid "
                    + (encoding == Encoding.JSON ? "OTLP/JSON" : "protobuf") + " ExportMetricsServiceRequest: "
                    + e.getMessage())));
        }
    }

    /** Translates a request; see the class comment for the rules. */
    public ParseResult translate(ExportMetricsServiceRequest request) {
        Translation t = new Translation();
        for (int r = 0; r < request.getResourceMetricsCount(); r++) {
            ResourceMetrics rm = request.getResourceMetrics(r);
            Map<String, String> identity = identity(rm.getResource().getAttributesList());
            long latestMs = 0;
            for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                for (Metric metric : sm.getMetricsList()) {
                    latestMs = Math.max(latestMs, metric(metric, identity, t));
                }
            }
            targetInfo(rm.getResource().getAttributesList(), identity, latestMs, r + 1, t);
        }
        return new ParseResult(t.samples, t.errors, t.refused);
    }

    /** What one request's translation has gathered. */
    private static final class Translation {
        final List<ParsedSample> samples = new ArrayList<>();
        final List<ParseError> errors = new ArrayList<>();
        long refused;

        void refuse(String reason, long points) {
            refused += points;
            if (errors.size() < MAX_ERRORS) {
                errors.add(ParseError.binary(FORMAT, points > 1 ? reason + " (" + points + " data points)" : reason));
            }
        }
    }

    /** @return the latest timestamp among the metric's accepted points, 0 when none */
    private long metric(Metric metric, Map<String, String> identity, Translation t) {
        String where = "metric " + metric.getName();
        String name = name(metric.getName(), metric.getUnit(), kindOf(metric));
        String invalid = Naming.validateMetricName(name);
        if (invalid != null) {
            t.refuse(where + ": " + invalid, Math.max(points(metric), 1));
            return 0;
        }
        switch (metric.getDataCase()) {
            case GAUGE: {
                return numbers(where, name, MetricType.GAUGE, metric.getGauge().getDataPointsList(), identity, t);
            }
            case SUM: {
                var sum = metric.getSum();
                if (refusedTemporality(where + " (sum)", sum.getAggregationTemporality(), sum.getDataPointsCount(), t)) {
                    return 0;
                }
                boolean counter = sum.getIsMonotonic();
                return numbers(where, name, counter ? MetricType.COUNTER : MetricType.GAUGE, sum.getDataPointsList(),
                        identity, t);
            }
            case HISTOGRAM: {
                var histogram = metric.getHistogram();
                if (refusedTemporality(where + " (histogram)", histogram.getAggregationTemporality(),
                        histogram.getDataPointsCount(), t)) {
                    return 0;
                }
                long latest = 0;
                for (int i = 0; i < histogram.getDataPointsCount(); i++) {
                    latest = Math.max(latest, histogram(where + ", data point " + (i + 1), name,
                            histogram.getDataPoints(i), identity, t));
                }
                return latest;
            }
            case SUMMARY: {
                long latest = 0;
                var points = metric.getSummary().getDataPointsList();
                for (int i = 0; i < points.size(); i++) {
                    latest = Math.max(latest, summary(where + ", data point " + (i + 1), name, points.get(i), identity, t));
                }
                return latest;
            }
            case EXPONENTIAL_HISTOGRAM:
                t.refuse(where + ": exponential histograms are Prometheus native histograms, which Caiman does not "
                        + "store; send explicit-bucket histograms", metric.getExponentialHistogram().getDataPointsCount());
                return 0;
            default:
                t.refuse(where + ": no gauge, sum, histogram or summary data", 1);
                return 0;
        }
    }

    private static Kind kindOf(Metric metric) {
        return switch (metric.getDataCase()) {
            case SUM -> metric.getSum().getIsMonotonic() ? Kind.COUNTER : Kind.UP_DOWN;
            case HISTOGRAM, EXPONENTIAL_HISTOGRAM -> Kind.HISTOGRAM;
            case SUMMARY -> Kind.SUMMARY;
            default -> Kind.GAUGE;
        };
    }

    private static int points(Metric metric) {
        return switch (metric.getDataCase()) {
            case GAUGE -> metric.getGauge().getDataPointsCount();
            case SUM -> metric.getSum().getDataPointsCount();
            case HISTOGRAM -> metric.getHistogram().getDataPointsCount();
            case SUMMARY -> metric.getSummary().getDataPointsCount();
            case EXPONENTIAL_HISTOGRAM -> metric.getExponentialHistogram().getDataPointsCount();
            default -> 0;
        };
    }

    private static boolean refusedTemporality(String where, AggregationTemporality temporality, int points,
            Translation t) {
        if (temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE) {
            return false;
        }
        t.refuse(where + ": " + (temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
                ? "delta temporality is not accepted; configure the exporter for cumulative temporality "
                        + "(OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative)"
                : "aggregation temporality " + temporality + " is not cumulative"), Math.max(points, 1));
        return true;
    }

    private long numbers(String where, String name, MetricType type, List<NumberDataPoint> points,
            Map<String, String> identity, Translation t) {
        long latest = 0;
        for (int i = 0; i < points.size(); i++) {
            NumberDataPoint p = points.get(i);
            Point point = point(where + ", data point " + (i + 1), p.getAttributesList(), identity, t);
            Labels labels = point == null ? null : point.series(name, null, null);
            if (point == null || point.refused(t)) {
                continue;
            }
            double value = noValue(p.getFlags()) ? STALE_NAN
                    : p.getValueCase() == NumberDataPoint.ValueCase.AS_INT ? p.getAsInt() : p.getAsDouble();
            Long ts = timestamp(p.getTimeUnixNano());
            t.samples.add(new ParsedSample(name, labels, value, ts, type, 0));
            latest = Math.max(latest, ts == null ? 0 : ts);
        }
        return latest;
    }

    private long histogram(String where, String name, HistogramDataPoint p, Map<String, String> identity,
            Translation t) {
        int buckets = p.getBucketCountsCount();
        if (buckets != 0 && buckets != p.getExplicitBoundsCount() + 1) {
            t.refuse(where + ": " + buckets + " bucket counts for " + p.getExplicitBoundsCount()
                    + " explicit bounds; there must be one more count than bounds", 1);
            return 0;
        }
        Point point = point(where, p.getAttributesList(), identity, t);
        if (point == null) {
            return 0;
        }
        List<ParsedSample> out = new ArrayList<>(buckets + 3);
        boolean stale = noValue(p.getFlags());
        Long ts = timestamp(p.getTimeUnixNano());
        long cumulative = 0;
        for (int b = 0; b < buckets - 1; b++) {
            cumulative += p.getBucketCounts(b);
            out.add(new ParsedSample(name + "_bucket", point.series(name + "_bucket", "le",
                    Numbers.format(p.getExplicitBounds(b))), stale ? STALE_NAN : cumulative, ts, MetricType.HISTOGRAM, 0));
        }
        out.add(new ParsedSample(name + "_bucket", point.series(name + "_bucket", "le", "+Inf"),
                stale ? STALE_NAN : p.getCount(), ts, MetricType.HISTOGRAM, 0));
        Labels plain = point.series(name, null, null);
        if (p.hasSum()) {
            out.add(new ParsedSample(name + "_sum", plain, stale ? STALE_NAN : p.getSum(), ts, MetricType.HISTOGRAM, 0));
        }
        out.add(new ParsedSample(name + "_count", plain, stale ? STALE_NAN : p.getCount(), ts, MetricType.HISTOGRAM, 0));
        if (point.refused(t)) {
            return 0;
        }
        t.samples.addAll(out);
        return ts == null ? 0 : ts;
    }

    private long summary(String where, String name, SummaryDataPoint p, Map<String, String> identity, Translation t) {
        Point point = point(where, p.getAttributesList(), identity, t);
        if (point == null) {
            return 0;
        }
        List<ParsedSample> out = new ArrayList<>(p.getQuantileValuesCount() + 2);
        boolean stale = noValue(p.getFlags());
        Long ts = timestamp(p.getTimeUnixNano());
        for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
            out.add(new ParsedSample(name, point.series(name, "quantile", Numbers.format(q.getQuantile())),
                    stale ? STALE_NAN : q.getValue(), ts, MetricType.SUMMARY, 0));
        }
        Labels plain = point.series(name, null, null);
        out.add(new ParsedSample(name + "_sum", plain, stale ? STALE_NAN : p.getSum(), ts, MetricType.SUMMARY, 0));
        out.add(new ParsedSample(name + "_count", plain, stale ? STALE_NAN : p.getCount(), ts, MetricType.SUMMARY, 0));
        if (point.refused(t)) {
            return 0;
        }
        t.samples.addAll(out);
        return ts == null ? 0 : ts;
    }

    /** {@code target_info} for a resource with attributes beyond those that name it, as Prometheus writes it. */
    private void targetInfo(List<KeyValue> attributes, Map<String, String> identity, long latestMs, int index,
            Translation t) {
        List<KeyValue> rest = new ArrayList<>();
        for (KeyValue kv : attributes) {
            if (!IDENTIFYING.contains(kv.getKey())) {
                rest.add(kv);
            }
        }
        if (rest.isEmpty()) {
            return;
        }
        Point point = point("resource " + index, rest, identity, t);
        Labels labels = point == null ? null : point.series("target_info", null, null);
        if (point != null && !point.refused(t)) {
            t.samples.add(new ParsedSample("target_info", labels, 1, latestMs == 0 ? null : latestMs, MetricType.GAUGE, 0));
        }
    }

    private static final List<String> IDENTIFYING = List.of("service.name", "service.namespace", "service.instance.id");

    /** {@code job} and {@code instance} from a resource's attributes. */
    private static Map<String, String> identity(List<KeyValue> attributes) {
        String name = null;
        String namespace = null;
        String instance = null;
        for (KeyValue kv : attributes) {
            switch (kv.getKey()) {
                case "service.name" -> name = asString(kv.getValue());
                case "service.namespace" -> namespace = asString(kv.getValue());
                case "service.instance.id" -> instance = asString(kv.getValue());
                default -> { }
            }
        }
        Map<String, String> identity = new TreeMap<>();
        if (name != null && !name.isEmpty()) {
            identity.put("job", namespace != null && !namespace.isEmpty() ? namespace + "/" + name : name);
        }
        if (instance != null && !instance.isEmpty()) {
            identity.put("instance", instance);
        }
        return identity;
    }

    /**
     * One data point's labels: its attributes (translated once per point; clashing keys joined), then the
     * resource's job and instance. {@code null} after refusing the point when an attribute key leaves no name.
     */
    private Point point(String where, List<KeyValue> attributes, Map<String, String> identity, Translation t) {
        Map<String, String> byLabel = new TreeMap<>();
        Map<String, String> firstKey = new TreeMap<>();
        for (KeyValue kv : attributes) {
            String label = labelName(kv.getKey());
            if (label == null) {
                t.refuse(where + ": attribute key '" + kv.getKey() + "' leaves no valid label name", 1);
                return null;
            }
            String value = asString(kv.getValue());
            String previous = byLabel.get(label);
            if (previous == null) {
                byLabel.put(label, value);
                firstKey.put(label, kv.getKey());
            } else {
                // keys that translate alike: values joined in key order, as Prometheus joins them
                boolean before = kv.getKey().compareTo(firstKey.get(label)) < 0;
                byLabel.put(label, before ? value + ";" + previous : previous + ";" + value);
                if (before) {
                    firstKey.put(label, kv.getKey());
                }
            }
        }
        byLabel.putAll(identity);
        byLabel.values().removeIf(String::isEmpty);
        return new Point(where, byLabel);
    }

    /**
     * The series one data point makes. Each is checked against the limits; the first problem refuses the whole
     * point, once ({@link #refused}), so a point's series are written all together or not at all.
     */
    private final class Point {
        private final String where;
        private final Map<String, String> labels;
        private String problem;

        Point(String where, Map<String, String> labels) {
            this.where = where;
            this.labels = labels;
        }

        /** The labels of series {@code name}, with {@code extraName} (le, quantile) when not null. */
        Labels series(String name, String extraName, String extraValue) {
            if (problem != null) {
                return null;
            }
            Map<String, String> all = labels;
            if (extraName != null) {
                all = new TreeMap<>(labels);
                all.put(extraName, extraValue);
            }
            Labels built = Labels.of(all);
            problem = limits.check(name, built);
            return built;
        }

        /** Whether a series broke a limit; refuses the point (counted once) if so. */
        boolean refused(Translation t) {
            if (problem != null) {
                t.refuse(where + ": " + problem, 1);
            }
            return problem != null;
        }
    }

    private static boolean noValue(int flags) {
        return (flags & DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE) != 0;
    }

    private static Long timestamp(long unixNanos) {
        return unixNanos == 0 ? null : unixNanos / 1_000_000L;
    }

    // ---- names, as Prometheus' otlptranslator (UnderscoreEscapingWithSuffixes) builds them

    /** What a metric is, for its name's suffixes. */
    enum Kind { GAUGE, COUNTER, UP_DOWN, HISTOGRAM, SUMMARY }

    /** The Prometheus name of an OTLP metric; may be invalid (empty), which the label check then refuses. */
    static String name(String otelName, String unit, Kind kind) {
        List<String> words = words(otelName, true);
        String[] units = unit.split("/", 2);
        String main = units[0].trim();
        main = main.isEmpty() || main.contains("{") || main.contains("}") ? "" : cleanUnit(UNITS.getOrDefault(main, main));
        String per = "";
        if (units.length > 1) {
            String p = units[1].trim();
            if (!p.isEmpty() && !p.contains("{") && !p.contains("}")) {
                per = cleanUnit(PER_UNITS.getOrDefault(p, p));
                per = per.isEmpty() ? "" : "per_" + per;
            }
        }
        if (words.contains(per)) {
            per = "";
        }
        if (!per.isEmpty() && main.endsWith("_")) {
            main = main.substring(0, main.length() - 1);
        }
        if (!main.isEmpty() && !words.contains(main)) {
            words.add(main);
        }
        if (!per.isEmpty()) {
            words.add(per);
        }
        if (kind == Kind.COUNTER) {
            words.removeIf("total"::equals);
            words.add("total");
        }
        if (unit.equals("1") && kind == Kind.GAUGE) {
            words.removeIf("ratio"::equals);
            words.add("ratio");
        }
        String name = String.join("_", words);
        return !name.isEmpty() && name.charAt(0) >= '0' && name.charAt(0) <= '9' ? "_" + name : name;
    }

    /** The runs of {@code [a-zA-Z0-9:]} (and {@code _} when not {@code splitOnUnderscore}). */
    private static List<String> words(String s, boolean splitOnUnderscore) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':'
                    || (!splitOnUnderscore && c == '_');
            if (ok) {
                word.append(c);
            } else if (word.length() > 0) {
                words.add(word.toString());
                word.setLength(0);
            }
        }
        if (word.length() > 0) {
            words.add(word.toString());
        }
        return words;
    }

    /** A unit as a name word: invalid characters as one {@code _}, no leading {@code _}. */
    private static String cleanUnit(String unit) {
        String cleaned = NOT_UNIT_WORD.matcher(unit).replaceAll("_");
        return cleaned.startsWith("_") ? cleaned.substring(1) : cleaned;
    }

    /** An attribute key as a label name, or {@code null} when nothing valid is left. */
    static String labelName(String key) {
        if (key.isEmpty()) {
            return null;
        }
        String label = Naming.translate(key, false);
        if (key.charAt(0) >= '0' && key.charAt(0) <= '9') {
            label = label.substring(1); // translate's "_" before a leading digit: OTLP's rule is "key_" instead
        }
        if (label.charAt(0) >= '0' && label.charAt(0) <= '9') {
            label = "key_" + label;
        } else if (label.startsWith("_") && !label.startsWith("__")) {
            label = "key" + label;
        }
        return label.chars().allMatch(c -> c == '_') ? null : label;
    }

    /** An attribute value as OpenTelemetry's {@code Value.AsString} writes it. */
    static String asString(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
            case INT_VALUE -> Long.toString(v.getIntValue());
            case DOUBLE_VALUE -> Numbers.format(v.getDoubleValue());
            case BYTES_VALUE -> Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
            case ARRAY_VALUE, KVLIST_VALUE -> json(v);
            default -> "";
        };
    }

    private static String json(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> Json.quote(v.getStringValue());
            case BOOL_VALUE, INT_VALUE -> asString(v);
            case DOUBLE_VALUE -> Double.isFinite(v.getDoubleValue()) ? asString(v) : Json.quote(asString(v));
            case BYTES_VALUE -> Json.quote(asString(v));
            case ARRAY_VALUE -> {
                StringBuilder sb = new StringBuilder("[");
                for (AnyValue item : v.getArrayValue().getValuesList()) {
                    sb.append(sb.length() > 1 ? "," : "").append(json(item));
                }
                yield sb.append(']').toString();
            }
            case KVLIST_VALUE -> {
                StringBuilder sb = new StringBuilder("{");
                for (KeyValue kv : v.getKvlistValue().getValuesList()) {
                    sb.append(sb.length() > 1 ? "," : "").append(Json.quote(kv.getKey())).append(':')
                            .append(json(kv.getValue()));
                }
                yield sb.append('}').toString();
            }
            default -> "null";
        };
    }
}
