package io.caiman.core.wire;

import io.caiman.core.wire.graphite.GraphiteParser;
import io.caiman.core.wire.influx.LineProtocolDecoder.Precision;
import io.caiman.core.wire.influx.LineProtocolParser;
import io.caiman.core.wire.prometheus.PrometheusTextParser;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Alligator's raw listener: one stream whose lines may be Prometheus text, Graphite plaintext or Influx
 * line protocol, told apart line by line:
 *
 * <ul>
 *   <li>a line whose second field holds {@code =} ({@code cpu,host=a usage=1}) is line protocol;
 *   <li>{@code <path> <value> <timestamp>} is Graphite when the path has a {@code .} or {@code ;} (which a
 *       Prometheus name cannot have) or the timestamp is in seconds (below 10^11, or with a fraction);
 *   <li>anything else, comments and {@code # TYPE} lines included, is Prometheus text (timestamps in
 *       milliseconds).
 * </ul>
 *
 * Each format's lines go to its own parser; errors and samples keep the line numbers of the input.
 */
public final class MixedLines {

    public enum Format { PROMETHEUS, GRAPHITE, INFLUX }

    private static final java.util.regex.Pattern FIELD_SEPARATOR = java.util.regex.Pattern.compile("[ \t]+");

    private final PrometheusTextParser prometheus;
    private final GraphiteParser graphite;
    private final LineProtocolParser influx;

    public MixedLines(PrometheusTextParser prometheus, GraphiteParser graphite, LineProtocolParser influx) {
        this.prometheus = prometheus;
        this.graphite = graphite;
        this.influx = influx;
    }

    /** The format of one line (without its line end). */
    public static Format detect(String line) {
        String s = line.strip();
        if (s.isEmpty() || s.startsWith("#")) {
            return Format.PROMETHEUS;
        }
        int brace = s.indexOf('{');
        int space = s.indexOf(' ');
        if (brace >= 0 && (space < 0 || brace < space)) {
            return Format.PROMETHEUS;
        }
        String[] fields = GraphiteParser.fields(s);
        if (fields.length >= 2 && fields[1].indexOf('=') > 0) {
            return Format.INFLUX;
        }
        if (fields.length == 3) {
            if (fields[0].indexOf('.') >= 0 || fields[0].indexOf(';') >= 0 || fields[2].indexOf('.') >= 0) {
                return Format.GRAPHITE;
            }
            Double ts = Numbers.parseFloat(fields[2]);
            if (ts != null && ts < 1e11) {
                return Format.GRAPHITE;
            }
        }
        return Format.PROMETHEUS;
    }

    /** Parses every line of {@code chunk} with its format's parser. */
    public ParseResult parse(byte[] chunk, long nowMs) {
        ByteArrayOutputStream[] parts = new ByteArrayOutputStream[Format.values().length];
        List<List<Integer>> lineNumbers = new ArrayList<>();
        for (int f = 0; f < parts.length; f++) {
            parts[f] = new ByteArrayOutputStream();
            lineNumbers.add(new ArrayList<>());
        }
        int start = 0;
        int lineNo = 0;
        while (start < chunk.length) {
            int end = start;
            while (end < chunk.length && chunk[end] != '\n') {
                end++;
            }
            lineNo++;
            String line = new String(chunk, start, end - start, java.nio.charset.StandardCharsets.UTF_8);
            if (!line.isBlank()) {
                int f = detect(line).ordinal();
                parts[f].write(chunk, start, end - start);
                parts[f].write('\n');
                lineNumbers.get(f).add(lineNo);
            }
            start = end + 1;
        }
        List<ParsedSample> samples = new ArrayList<>();
        List<ParseError> errors = new ArrayList<>();
        for (Format format : Format.values()) {
            byte[] part = parts[format.ordinal()].toByteArray();
            if (part.length == 0) {
                continue;
            }
            ParseResult r = switch (format) {
                case PROMETHEUS -> prometheus.parse(part);
                case GRAPHITE -> graphite.parse(part, nowMs).result();
                case INFLUX -> influx.parse(part, Precision.NANOSECONDS, nowMs * 1_000_000L, Map.of()).result();
            };
            List<Integer> lines = lineNumbers.get(format.ordinal());
            r.samples().forEach(s -> samples.add(new ParsedSample(s.name(), s.labels(), s.value(), s.timestampMs(), s.type(),
                    original(lines, s.line()))));
            r.errors().forEach(e -> errors.add(new ParseError(e.format(), original(lines, e.line()), e.column(), e.reason())));
        }
        return new ParseResult(samples, errors);
    }

    private static int original(List<Integer> lines, int line) {
        return line >= 1 && line <= lines.size() ? lines.get(line - 1) : line;
    }
}
