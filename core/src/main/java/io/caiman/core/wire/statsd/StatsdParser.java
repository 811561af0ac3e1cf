package io.caiman.core.wire.statsd;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.Numbers;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.TextLines;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.SampleKind;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The StatsD line protocol, {@code <name>:<value>|<type>[|@<rate>][|#<tags>][|T<seconds>][|c:<container>]}, with
 * the tag styles Prometheus' {@code statsd_exporter} reads: DogStatsD ({@code |#k:v,k2:v2}), InfluxDB
 * ({@code name,k=v:…}), Librato ({@code name#k=v:…}) and SignalFx ({@code name[k=v]:…}).
 *
 * <p>A gateway is stateless, so it cannot aggregate StatsD the way a StatsD daemon does. It writes each event as
 * samples that a processor applies to its per-series state, exactly once ({@link SampleKind}):
 *
 * <ul>
 *   <li>{@code c} counter: an {@link SampleKind#INCREMENT} of value / rate on {@code name} (a counter; negative
 *       values are refused, as Prometheus counters cannot fall);
 *   <li>{@code g} gauge: the value ({@link SampleKind#VALUE}), or with a leading {@code +} or {@code -} a
 *       {@link SampleKind#GAUGE_DELTA} added to the current value; the rate is ignored;
 *   <li>{@code ms} timer (divided by 1000: Prometheus measures seconds), {@code h} histogram, {@code d}
 *       distribution: a histogram of the configured buckets, as increments of 1 / rate on every
 *       {@code name_bucket{le}} (0 on the buckets below the value, so every bucket exists from the first
 *       observation) and {@code le="+Inf"}, of value / rate on {@code name_sum} and 1 / rate on
 *       {@code name_count}; DogStatsD's several values per line ({@code name:1:2:3|h}) are several observations;
 *   <li>{@code s} set: a {@link SampleKind#SET_MEMBER} whose value is a 53-bit hash of the member; the processor
 *       counts distinct members per window ({@code processor.set_window}).
 * </ul>
 *
 * Names and tag keys become Prometheus names by {@link Naming#translate} ({@code api.requests} →
 * {@code api_requests}). A DogStatsD tag without a value ({@code |#canary}) becomes the label
 * {@code canary="true"}; a container id ({@code |c:abc}) the label {@code container_id}. DogStatsD timestamps
 * ({@code |T1700000000}, seconds) are kept; other events take the receive time. Increments of one series within
 * one chunk (a datagram, or the lines a TCP read returned) are summed into one sample, which keeps a packet of
 * timings from becoming hundreds of records. Every bad line is an error naming it; the others are kept.
 * DogStatsD events ({@code _e{…}}) and service checks ({@code _sc|…}) are not metrics and are refused.
 */
public final class StatsdParser {

    public static final String FORMAT = "statsd";
    public static final List<Double> DEFAULT_BUCKETS = List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0);

    private final SampleLimits limits;
    private final double[] buckets;
    private final String[] bucketLabels;

    /** @param buckets increasing upper bounds of timer and histogram buckets */
    public StatsdParser(SampleLimits limits, List<Double> buckets) {
        if (buckets.isEmpty()) {
            throw new IllegalArgumentException("at least one bucket is needed");
        }
        this.limits = limits;
        this.buckets = buckets.stream().mapToDouble(Double::doubleValue).toArray();
        this.bucketLabels = new String[this.buckets.length];
        for (int i = 0; i < this.buckets.length; i++) {
            if (i > 0 && this.buckets[i] <= this.buckets[i - 1]) {
                throw new IllegalArgumentException("buckets must increase: " + buckets);
            }
            bucketLabels[i] = Numbers.format(this.buckets[i]);
        }
    }

    /** @param nowMs the timestamp of events that carry none */
    public ParseResult parse(byte[] chunk, long nowMs) {
        Output out = new Output();
        List<ParseError> errors = new ArrayList<>();
        TextLines.forEach(chunk, (lineNo, line) -> {
            if (line.isBlank()) {
                return;
            }
            ParseError error = line(line.strip(), lineNo, out);
            if (error != null) {
                errors.add(error);
            }
        }, (lineNo, column, reason) -> errors.add(error(lineNo, column, reason)));
        return new ParseResult(out.samples, errors);
    }

    /** The samples of a chunk, with the increments of one series and timestamp summed into one. */
    private static final class Output {
        private record Key(String name, Labels labels, Long timestampMs) {}

        final List<ParsedSample> samples = new ArrayList<>();
        private MessageDigest sha256; // for set members: one per chunk, made when the first one comes

        MessageDigest sha256() {
            if (sha256 == null) {
                try {
                    sha256 = MessageDigest.getInstance("SHA-256");
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException("SHA-256 is part of every Java platform", e);
                }
            }
            return sha256;
        }
        private final Map<Key, Integer> increments = new HashMap<>();

        void add(ParsedSample s) {
            if (s.kind() != SampleKind.INCREMENT) {
                samples.add(s);
                return;
            }
            Key key = new Key(s.name(), s.labels(), s.timestampMs());
            Integer at = increments.putIfAbsent(key, samples.size());
            if (at == null) {
                samples.add(s);
            } else {
                ParsedSample was = samples.get(at);
                samples.set(at, new ParsedSample(was.name(), was.labels(), was.value() + s.value(), was.timestampMs(),
                        was.type(), was.line(), SampleKind.INCREMENT));
            }
        }
    }

    /** One event per line: a value, a type and sections. Returns the error, or null once the samples are added. */
    private ParseError line(String line, int lineNo, Output out) {
        if (line.startsWith("_e{") || line.startsWith("_sc|")) {
            return error(lineNo, 1, "DogStatsD events and service checks are not metrics; only metrics are taken");
        }
        int colon = line.indexOf(':');
        if (colon <= 0) {
            return error(lineNo, 1, "expected '<name>:<value>|<type>'");
        }
        Map<String, String> labels = new TreeMap<>();
        String rawName = line.substring(0, colon);
        String problem = nameTags(rawName, labels);
        if (problem != null) {
            return error(lineNo, 1, problem);
        }
        String metric = stripNameTags(rawName);
        if (metric.isEmpty()) {
            return error(lineNo, 1, "the metric name is empty");
        }
        String rest = line.substring(colon + 1);
        boolean nameTagged = !labels.isEmpty();
        String[] sections = rest.split("\\|", -1);
        if (sections.length < 2) {
            return error(lineNo, colon + 2, "expected '<value>|<type>' after the name");
        }
        String type = sections[1];
        int typeColumn = colon + 2 + sections[0].length() + 1;
        if (!(type.equals("c") || type.equals("g") || type.equals("ms") || type.equals("h") || type.equals("d")
                || type.equals("s"))) {
            return error(lineNo, typeColumn, "unknown type '" + type + "'; expected c, g, ms, h, d or s");
        }
        double rate = 1;
        Long timestampMs = null;
        int column = typeColumn + type.length() + 1;
        for (int i = 2; i < sections.length; i++) {
            String section = sections[i];
            if (section.isEmpty()) {
                return error(lineNo, column, "empty section after '|'");
            }
            switch (section.charAt(0)) {
                case '@' -> {
                    Double r = Numbers.parseFloat(section.substring(1));
                    if (r == null || !(r > 0 && r <= 1)) {
                        return error(lineNo, column, "sample rate '" + section + "' must be a number in (0, 1]");
                    }
                    rate = r;
                }
                case '#' -> {
                    if (nameTagged) {
                        return error(lineNo, column, "tags both in the name and after '|#'; use one tagging style");
                    }
                    String bad = dogTags(section.substring(1), labels);
                    if (bad != null) {
                        return error(lineNo, column, bad);
                    }
                }
                case 'T' -> {
                    try {
                        timestampMs = Math.multiplyExact(Long.parseLong(section.substring(1)), 1000L);
                    } catch (NumberFormatException | ArithmeticException e) {
                        return error(lineNo, column, "timestamp '" + section + "' must be whole seconds since the epoch");
                    }
                }
                case 'c' -> {
                    if (!section.startsWith("c:") || section.length() == 2) {
                        return error(lineNo, column, "container section '" + section + "' must be c:<id>");
                    }
                    labels.put("container_id", section.substring(2));
                }
                default -> {
                    return error(lineNo, column, "unknown section '" + section
                            + "'; expected @<rate>, #<tags>, T<seconds> or c:<container>");
                }
            }
            column += section.length() + 1;
        }
        String name = Naming.translate(metric, true);
        if (labels.containsKey("__name__")) {
            return error(lineNo, 1, "label __name__ is reserved for the metric name");
        }
        Labels series = Labels.of(labels);
        String broken = limits.check(name, series);
        if (broken != null) {
            return error(lineNo, 1, broken);
        }

        String[] values = sections[0].split(":", -1);
        boolean observer = type.equals("ms") || type.equals("h") || type.equals("d");
        if (values.length > 1 && !observer) {
            return error(lineNo, colon + 2, "several values in one line are only for timers (ms), histograms (h) "
                    + "and distributions (d)");
        }
        if (type.equals("s")) {
            if (values[0].isEmpty()) {
                return error(lineNo, colon + 2, "the set member is empty");
            }
            out.add(new ParsedSample(name, series, memberHash(values[0], out.sha256()), timestampMs, MetricType.GAUGE, lineNo,
                    SampleKind.SET_MEMBER));
            return null;
        }
        double[] parsed = new double[values.length];
        int valueColumn = colon + 2;
        for (int i = 0; i < values.length; i++) {
            Double v = Numbers.parseFloat(values[i]);
            if (v == null || v.isNaN() || v.isInfinite()) {
                return error(lineNo, valueColumn, "value '" + values[i] + "' is not a finite number");
            }
            parsed[i] = v;
            valueColumn += values[i].length() + 1;
        }
        switch (type) {
            case "c" -> {
                if (parsed[0] < 0) {
                    return error(lineNo, colon + 2, "counter increment " + values[0] + " is negative; a counter cannot fall");
                }
                out.add(new ParsedSample(name, series, parsed[0] / rate, timestampMs, MetricType.COUNTER, lineNo,
                        SampleKind.INCREMENT));
            }
            case "g" -> {
                char sign = values[0].charAt(0);
                SampleKind kind = sign == '+' || sign == '-' ? SampleKind.GAUGE_DELTA : SampleKind.VALUE;
                out.add(new ParsedSample(name, series, parsed[0], timestampMs, MetricType.GAUGE, lineNo, kind));
            }
            default -> {
                if (labels.containsKey("le")) {
                    return error(lineNo, 1, "label le is reserved for the histogram's buckets");
                }
                Labels plain = Labels.of(labels);
                Labels[] bucketSeries = bucketSeries(labels); // once per line, not per value
                for (double v : parsed) {
                    observe(name, plain, bucketSeries, type.equals("ms") ? v / 1000 : v, rate, timestampMs, lineNo, out);
                }
            }
        }
        return null;
    }

    /** The series of each bucket ({@code le}) of a histogram with {@code labels}, {@code +Inf} last. */
    private Labels[] bucketSeries(Map<String, String> labels) {
        Map<String, String> withLe = new TreeMap<>(labels);
        Labels[] series = new Labels[buckets.length + 1];
        for (int i = 0; i <= buckets.length; i++) {
            withLe.put("le", i == buckets.length ? "+Inf" : bucketLabels[i]);
            series[i] = Labels.of(withLe);
        }
        return series;
    }

    private void observe(String name, Labels plain, Labels[] bucketSeries, double value, double rate, Long timestampMs,
            int lineNo, Output out) {
        double weight = 1 / rate;
        for (int i = 0; i <= buckets.length; i++) {
            boolean inf = i == buckets.length;
            out.add(new ParsedSample(name + "_bucket", bucketSeries[i], inf || value <= buckets[i] ? weight : 0,
                    timestampMs, MetricType.HISTOGRAM, lineNo, SampleKind.INCREMENT));
        }
        out.add(new ParsedSample(name + "_sum", plain, value * weight, timestampMs, MetricType.HISTOGRAM, lineNo,
                SampleKind.INCREMENT));
        out.add(new ParsedSample(name + "_count", plain, weight, timestampMs, MetricType.HISTOGRAM, lineNo,
                SampleKind.INCREMENT));
    }

    /** Tags in the name (InfluxDB {@code ,k=v}, Librato {@code #k=v}, SignalFx {@code [k=v]}) into labels. */
    private static String nameTags(String rawName, Map<String, String> labels) {
        int open = rawName.indexOf('[');
        int close = rawName.indexOf(']');
        if ((open >= 0) != (close >= 0) || open > close) {
            return "unbalanced SignalFx tags in name '" + rawName + "'";
        }
        String tags;
        if (open >= 0) {
            tags = rawName.substring(open + 1, close);
        } else {
            int at = firstOf(rawName, ',', '#');
            if (at < 0) {
                return null;
            }
            tags = rawName.substring(at + 1);
        }
        for (String tag : tags.split(",", -1)) {
            int eq = tag.indexOf('=');
            if (eq <= 0 || eq == tag.length() - 1) {
                return "tag '" + tag + "' in the name must be name=value, both non-empty";
            }
            String problem = put(labels, tag.substring(0, eq), tag.substring(eq + 1));
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static String stripNameTags(String rawName) {
        int open = rawName.indexOf('[');
        if (open >= 0) {
            return rawName.substring(0, open) + rawName.substring(rawName.indexOf(']') + 1);
        }
        int at = firstOf(rawName, ',', '#');
        return at < 0 ? rawName : rawName.substring(0, at);
    }

    /** DogStatsD tags {@code k:v,k2:v2,bare}; a tag without a value gets the value {@code true}. */
    private static String dogTags(String tags, Map<String, String> labels) {
        for (String tag : tags.split(",", -1)) {
            if (!tag.isEmpty() && tag.charAt(0) == '#') {
                tag = tag.substring(1);
            }
            if (tag.isEmpty()) {
                continue;
            }
            int sep = tag.indexOf(':');
            if (sep == 0) {
                return "tag '" + tag + "' has no name";
            }
            String problem = sep < 0 ? put(labels, tag, "true")
                    : sep == tag.length() - 1 ? put(labels, tag.substring(0, sep), "true")
                    : put(labels, tag.substring(0, sep), tag.substring(sep + 1));
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static String put(Map<String, String> labels, String key, String value) {
        String label = Naming.translate(key, false);
        if (labels.containsKey(label)) {
            return "two tags become label " + label + " (the second is '" + key + "')";
        }
        labels.put(label, value);
        return null;
    }

    private static int firstOf(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    /**
     * A set member as a number a double holds exactly: the top 53 bits of its SHA-256. Distinct members collide
     * with a chance of about n² / 2⁵⁴, nothing beside the sketch's own error.
     */
    static double memberHash(String member, MessageDigest sha256) {
        byte[] d = sha256.digest(member.getBytes(StandardCharsets.UTF_8));
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (d[i] & 0xFF);
        }
        return (double) (bits >>> 11);
    }

    private static ParseError error(int line, int column, String reason) {
        return new ParseError(FORMAT, line, Math.max(1, column), reason);
    }
}
