package io.caiman.core.wire.prometheus;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.Numbers;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.schemas.oplog.MetricType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * The Prometheus protobuf exposition format: length-delimited {@code io.prometheus.client.MetricFamily}
 * messages ({@code application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
 * encoding=delimited}), what Pushgateway clients send by default. Each family becomes the series Prometheus
 * makes of it: counters, gauges and untyped values under the family's name; summaries as
 * {@code {quantile}}, {@code _sum}, {@code _count}; classic histograms as {@code _bucket{le}} (with a
 * {@code +Inf} bucket from the count when the sender left it out), {@code _sum}, {@code _count}; gauge
 * histograms with {@code _gsum} and {@code _gcount}. {@code le} and {@code quantile} are written as Prometheus
 * writes them ({@link Numbers#format}).
 *
 * <p>Walked with {@link CodedInputStream}, as the remote-write decoder is, rather than through generated
 * classes. Native histograms (a histogram with spans or a schema but no classic buckets) are refused, like
 * everywhere else in Caiman; exemplars and created timestamps are not stored. All or nothing, like the text
 * formats: every problem is listed, naming the family by position and name.
 */
public final class ProtobufExpositionParser {

    public static final String FORMAT = "prometheus-protobuf";
    public static final String PROTO = "io.prometheus.client.MetricFamily";
    private static final int MAX_ERRORS = 100;

    private final SampleLimits limits;

    public ProtobufExpositionParser(SampleLimits limits) {
        this.limits = limits;
    }

    /** Whether a {@code Content-Type} names this format. */
    public static boolean isProtobuf(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.toLowerCase(Locale.ROOT);
        return type.startsWith("application/vnd.google.protobuf") && type.contains(PROTO.toLowerCase(Locale.ROOT));
    }

    /** Whether the {@code Content-Type} asks for a framing this parser does not read (only {@code delimited}). */
    public static String unsupportedEncoding(String contentType) {
        for (String part : contentType.split(";")) {
            String[] kv = part.trim().split("=", 2);
            if (kv.length == 2 && kv[0].trim().equalsIgnoreCase("encoding")
                    && !kv[1].trim().replace("\"", "").equalsIgnoreCase("delimited")) {
                return kv[1].trim();
            }
        }
        return null;
    }

    /** One family as read. */
    private static final class Family {
        String name = "";
        int type; // COUNTER (0) when unset, as in the .proto
        final List<byte[]> metrics = new ArrayList<>();
    }

    public ParseResult parse(byte[] body) {
        List<ParsedSample> samples = new ArrayList<>();
        List<ParseError> errors = new ArrayList<>();
        CodedInputStream in = CodedInputStream.newInstance(body);
        int index = 0;
        try {
            while (!in.isAtEnd()) {
                index++;
                byte[] message = in.readRawBytes(in.readRawVarint32());
                Family family = readFamily(message);
                family(index, family, samples, errors);
            }
        } catch (InvalidProtocolBufferException e) {
            errors.add(ParseError.binary(FORMAT, "metric family " + index + ": not a valid length-delimited "
                    + PROTO + ": " + e.getMessage()));
        } catch (IOException e) {
            errors.add(ParseError.binary(FORMAT, "metric family " + index + ": cannot be read: " + e.getMessage()));
        }
        return errors.isEmpty() ? new ParseResult(samples, List.of()) : new ParseResult(List.of(), errors);
    }

    private static Family readFamily(byte[] message) throws IOException {
        Family f = new Family();
        CodedInputStream in = CodedInputStream.newInstance(message);
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> f.name = in.readString();
                case 3 -> f.type = in.readEnum();
                case 4 -> f.metrics.add(in.readByteArray());
                default -> in.skipField(tag);
            }
        }
        return f;
    }

    /** One metric of a family as read: its labels, its value fields and timestamp. */
    private static final class Metric {
        final TreeMap<String, String> labels = new TreeMap<>();
        final List<String> duplicateLabels = new ArrayList<>();
        Double value;
        long count;
        double countFloat = Double.NaN;
        double sum = Double.NaN;
        final List<double[]> quantiles = new ArrayList<>();
        final List<double[]> buckets = new ArrayList<>(); // {upper bound, cumulative count}
        boolean nativeHistogram;
        Long timestampMs;
    }

    private void family(int index, Family f, List<ParsedSample> samples, List<ParseError> errors) throws IOException {
        String where = "metric family " + index + " (" + f.name + ")";
        String problem = Naming.validateMetricName(f.name);
        if (problem != null) {
            add(errors, where + ": " + problem);
            return;
        }
        for (int m = 0; m < f.metrics.size(); m++) {
            Metric metric = readMetric(f.metrics.get(m));
            String at = where + ", metric " + (m + 1);
            if (!metric.duplicateLabels.isEmpty()) {
                add(errors, at + ": label " + metric.duplicateLabels.get(0) + " appears twice");
                continue;
            }
            String bad = metric.labels.keySet().stream().map(Naming::validateLabelName)
                    .filter(java.util.Objects::nonNull).findFirst().orElse(null);
            if (bad != null) {
                add(errors, at + ": " + bad);
                continue;
            }
            switch (f.type) {
                case 0 -> one(at, f.name, metric, MetricType.COUNTER, samples, errors); // COUNTER
                case 1 -> one(at, f.name, metric, MetricType.GAUGE, samples, errors); // GAUGE
                case 3 -> one(at, f.name, metric, MetricType.UNKNOWN, samples, errors); // UNTYPED
                case 2 -> summary(at, f.name, metric, samples, errors); // SUMMARY
                case 4, 5 -> histogram(at, f.name, metric, f.type == 5, samples, errors); // (GAUGE_)HISTOGRAM
                default -> add(errors, at + ": metric type " + f.type + " is not one Caiman knows");
            }
        }
    }

    private static Metric readMetric(byte[] message) throws IOException {
        Metric m = new Metric();
        CodedInputStream in = CodedInputStream.newInstance(message);
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> {
                    String[] pair = labelPair(in.readByteArray());
                    if (m.labels.put(pair[0], pair[1]) != null) {
                        m.duplicateLabels.add(pair[0]);
                    }
                    if (pair[1].isEmpty()) {
                        m.labels.remove(pair[0]); // an empty label is no label, as in the text format
                    }
                }
                case 2, 3, 5 -> m.value = singleValue(in.readByteArray()); // gauge, counter, untyped: value = 1
                case 4 -> readSummary(in.readByteArray(), m);
                case 6 -> m.timestampMs = in.readInt64();
                case 7 -> readHistogram(in.readByteArray(), m);
                default -> in.skipField(tag);
            }
        }
        return m;
    }

    private static String[] labelPair(byte[] message) throws IOException {
        String[] pair = {"", ""};
        CodedInputStream in = CodedInputStream.newInstance(message);
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> pair[0] = in.readString();
                case 2 -> pair[1] = in.readString();
                default -> in.skipField(tag);
            }
        }
        return pair;
    }

    private static double singleValue(byte[] message) throws IOException {
        double value = 0;
        CodedInputStream in = CodedInputStream.newInstance(message);
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            if (WireFormat.getTagFieldNumber(tag) == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_FIXED64) {
                value = in.readDouble();
            } else {
                in.skipField(tag);
            }
        }
        return value;
    }

    private static void readSummary(byte[] message, Metric m) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(message);
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> m.count = in.readUInt64();
                case 2 -> m.sum = in.readDouble();
                case 3 -> m.quantiles.add(pairOfDoubles(in.readByteArray(), 1, 2));
                default -> in.skipField(tag);
            }
        }
    }

    private static void readHistogram(byte[] message, Metric m) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(message);
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> m.count = in.readUInt64();
                case 4 -> m.countFloat = in.readDouble();
                case 2 -> m.sum = in.readDouble();
                case 3 -> {
                    // Bucket { uint64 cumulative_count = 1; double cumulative_count_float = 4; double upper_bound = 2; }
                    double[] bucket = {0, 0};
                    double countFloat = Double.NaN;
                    CodedInputStream b = CodedInputStream.newInstance(in.readByteArray());
                    while (!b.isAtEnd()) {
                        int t = b.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> bucket[1] = b.readUInt64();
                            case 4 -> countFloat = b.readDouble();
                            case 2 -> bucket[0] = b.readDouble();
                            default -> b.skipField(t);
                        }
                    }
                    if (!Double.isNaN(countFloat) && countFloat != 0) {
                        bucket[1] = countFloat;
                    }
                    m.buckets.add(bucket);
                }
                case 5, 9, 12 -> {
                    // schema, negative_span, positive_span: a native histogram
                    m.nativeHistogram = true;
                    in.skipField(tag);
                }
                default -> in.skipField(tag);
            }
        }
    }

    private static double[] pairOfDoubles(byte[] message, int first, int second) throws IOException {
        double[] pair = {0, 0};
        CodedInputStream in = CodedInputStream.newInstance(message);
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == first) {
                pair[0] = in.readDouble();
            } else if (field == second) {
                pair[1] = in.readDouble();
            } else {
                in.skipField(tag);
            }
        }
        return pair;
    }

    private void one(String at, String name, Metric m, MetricType type, List<ParsedSample> samples,
            List<ParseError> errors) {
        if (m.value == null) {
            add(errors, at + ": has no value for its family's type");
            return;
        }
        emit(at, name, m, null, null, m.value, type, samples, errors);
    }

    private void summary(String at, String name, Metric m, List<ParsedSample> samples, List<ParseError> errors) {
        for (double[] q : m.quantiles) {
            emit(at, name, m, "quantile", Numbers.format(q[0]), q[1], MetricType.SUMMARY, samples, errors);
        }
        emit(at, name + "_sum", m, null, null, Double.isNaN(m.sum) ? 0 : m.sum, MetricType.SUMMARY, samples, errors);
        emit(at, name + "_count", m, null, null, m.count, MetricType.SUMMARY, samples, errors);
    }

    private void histogram(String at, String name, Metric m, boolean gauge, List<ParsedSample> samples,
            List<ParseError> errors) {
        if (m.nativeHistogram && m.buckets.isEmpty()) {
            add(errors, at + ": native histograms are not supported; expose classic buckets");
            return;
        }
        MetricType type = gauge ? MetricType.GAUGE_HISTOGRAM : MetricType.HISTOGRAM;
        double count = !Double.isNaN(m.countFloat) && m.countFloat != 0 ? m.countFloat : m.count;
        boolean inf = false;
        for (double[] b : m.buckets) {
            inf |= b[0] == Double.POSITIVE_INFINITY;
            emit(at, name + "_bucket", m, "le", Numbers.format(b[0]), b[1], type, samples, errors);
        }
        if (!inf) {
            emit(at, name + "_bucket", m, "le", "+Inf", count, type, samples, errors);
        }
        emit(at, name + (gauge ? "_gsum" : "_sum"), m, null, null, Double.isNaN(m.sum) ? 0 : m.sum, type, samples, errors);
        emit(at, name + (gauge ? "_gcount" : "_count"), m, null, null, count, type, samples, errors);
    }

    private void emit(String at, String name, Metric m, String extraName, String extraValue, double value,
            MetricType type, List<ParsedSample> samples, List<ParseError> errors) {
        TreeMap<String, String> labels = m.labels;
        if (extraName != null) {
            labels = new TreeMap<>(m.labels);
            if (labels.put(extraName, extraValue) != null) {
                add(errors, at + ": label " + extraName + " is reserved for the family's type");
                return;
            }
        }
        Labels built = Labels.of(labels);
        String limit = limits.check(name, built);
        if (limit != null) {
            add(errors, at + ": " + limit);
            return;
        }
        samples.add(new ParsedSample(name, built, value, m.timestampMs, type, 0));
    }

    private static void add(List<ParseError> errors, String reason) {
        if (errors.size() < MAX_ERRORS) {
            errors.add(ParseError.binary(FORMAT, reason));
        }
    }
}
