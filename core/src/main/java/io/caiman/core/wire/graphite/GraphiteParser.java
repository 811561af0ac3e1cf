package io.caiman.core.wire.graphite;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.Numbers;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.TextLines;
import io.caiman.schemas.oplog.MetricType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The Graphite plaintext protocol: {@code <path> <value> <timestamp>} per line, the timestamp in seconds
 * (fractions allowed; a negative one, such as {@code -1}, means "now"), and tagged series
 * ({@code path;tag=value;…}) whose tags become labels.
 *
 * <p>The path becomes a metric name by the first matching {@link GraphiteMappings} rule, or else by
 * {@link Naming#translate} ({@code servers.web-1.load} → {@code servers_web_1_load}). Labels from a rule come
 * first; a tag of the same name replaces them. Every bad line is an error naming it; the others are kept.
 */
public final class GraphiteParser {

    public static final String FORMAT = "graphite";

    private final SampleLimits limits;
    private final GraphiteMappings mappings;
    private final Runnable onDrop;

    /** @param onDrop called for each line a {@code drop} rule matches (to count it) */
    public GraphiteParser(SampleLimits limits, GraphiteMappings mappings, Runnable onDrop) {
        this.limits = limits;
        this.mappings = mappings;
        this.onDrop = onDrop;
    }

    public GraphiteParser(SampleLimits limits, GraphiteMappings mappings) {
        this(limits, mappings, () -> { });
    }

    /**
     * @param result every good line's sample and every bad line's error
     * @param dropped lines a {@code drop} rule matched
     */
    public record Parsed(ParseResult result, int dropped) {}

    /** @param nowMs the time of lines whose timestamp says "now" */
    public Parsed parse(byte[] chunk, long nowMs) {
        List<ParsedSample> samples = new ArrayList<>();
        List<ParseError> errors = new ArrayList<>();
        int[] dropped = {0};
        TextLines.forEach(chunk, (lineNo, line) -> {
            if (line.isBlank()) {
                return;
            }
            Object parsed = line(line, lineNo, nowMs);
            if (parsed instanceof ParsedSample s) {
                samples.add(s);
            } else if (parsed instanceof ParseError e) {
                errors.add(e);
            } else {
                dropped[0]++;
                onDrop.run();
            }
        }, (lineNo, column, reason) -> errors.add(new ParseError(FORMAT, lineNo, column, reason)));
        return new Parsed(new ParseResult(samples, errors), dropped[0]);
    }

    /** A sample, an error, or {@code null} for a dropped line. */
    private Object line(String line, int lineNo, long nowMs) {
        String[] fields = fields(line);
        if (fields.length != 3) {
            return error(lineNo, 1, "expected '<path> <value> <timestamp>' but found " + fields.length
                    + (fields.length == 1 ? " field" : " fields"));
        }
        int valueColumn = line.indexOf(fields[1], line.indexOf(fields[0]) + fields[0].length()) + 1;
        Double value = Numbers.parseFloat(fields[1]);
        if (value == null) {
            return error(lineNo, valueColumn, "value '" + fields[1] + "' is not a number");
        }
        Double seconds = Numbers.parseFloat(fields[2]);
        if (seconds == null || seconds.isNaN() || seconds.isInfinite()) {
            return error(lineNo, line.lastIndexOf(fields[2]) + 1, "timestamp '" + fields[2] + "' is not a number of seconds");
        }
        long timestampMs = seconds < 0 ? nowMs : Math.round(seconds * 1000);

        String[] parts = fields[0].split(";", -1);
        String path = parts[0];
        if (path.isEmpty()) {
            return error(lineNo, 1, "the metric path is empty");
        }
        Map<String, String> labels = new TreeMap<>();
        String name;
        GraphiteMappings.Mapped mapped = mappings.map(path);
        if (mapped != null && mapped.drop()) {
            return null;
        }
        if (mapped != null) {
            name = mapped.name();
            String problem = Naming.validateMetricName(name);
            if (problem != null) {
                return error(lineNo, 1, "path " + path + " maps to an invalid name: " + problem);
            }
            mapped.labels().forEach((k, v) -> labels.put(k, v));
        } else {
            name = Naming.translate(path, true);
        }
        Map<String, String> tagOf = new TreeMap<>();
        int column = path.length() + 2;
        for (int i = 1; i < parts.length; i++) {
            String tag = parts[i];
            int eq = tag.indexOf('=');
            if (eq <= 0 || eq == tag.length() - 1) {
                return error(lineNo, column, "tag '" + tag + "' must be name=value, both non-empty");
            }
            String label = Naming.translate(tag.substring(0, eq), false);
            if (label.equals("__name__")) {
                return error(lineNo, column, "tag __name__ is reserved for the metric name");
            }
            String other = tagOf.put(label, tag.substring(0, eq));
            if (other != null) {
                return error(lineNo, column, "tags '" + other + "' and '" + tag.substring(0, eq) + "' both become label " + label);
            }
            labels.put(label, tag.substring(eq + 1));
            column += tag.length() + 1;
        }
        Labels series = Labels.of(labels);
        String broken = limits.check(name, series);
        if (broken != null) {
            return error(lineNo, 1, broken);
        }
        return new ParsedSample(name, series, value, timestampMs, MetricType.UNKNOWN, lineNo);
    }

    private static final Pattern FIELD_SEPARATOR = Pattern.compile("[ \\t]+");

    /** The whitespace-separated fields of a line, as Carbon splits them. */
    public static String[] fields(String line) {
        return FIELD_SEPARATOR.split(line.strip());
    }

    private static ParseError error(int line, int column, String reason) {
        return new ParseError(FORMAT, line, Math.max(1, column), reason);
    }
}
