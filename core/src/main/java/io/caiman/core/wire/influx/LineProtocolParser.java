package io.caiman.core.wire.influx;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.influx.LineProtocolDecoder.Entry;
import io.caiman.core.wire.influx.LineProtocolDecoder.Field;
import io.caiman.core.wire.influx.LineProtocolDecoder.FieldKind;
import io.caiman.core.wire.influx.LineProtocolDecoder.Point;
import io.caiman.core.wire.influx.LineProtocolDecoder.Precision;
import io.caiman.core.wire.influx.LineProtocolDecoder.Tag;
import io.caiman.schemas.oplog.MetricType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns line protocol into samples named the way Telegraf's Prometheus output names them, so dashboards
 * built on Telegraf → Prometheus keep working:
 *
 * <ul>
 *   <li>each numeric field is a sample named {@code <measurement>_<field>}; the measurement {@code prometheus}
 *       (Telegraf's Prometheus input, {@code metric_version = 2}) adds nothing: the name is the field's;
 *   <li>tags are labels; booleans are 1 and 0; integers and unsigned integers become floats (exact up to
 *       2^53);
 *   <li>names are translated by {@link Naming#translate} (as Telegraf does: line-protocol names are not
 *       Prometheus names);
 *   <li>string fields are not samples: they are skipped and counted ({@link Parsed#stringFields()});
 *   <li>a point is all or nothing: if any of its series is invalid (two tags that translate to one label
 *       name, a tag named {@code __name__}, a broken limit), the whole entry is an error on its line.
 * </ul>
 */
public final class LineProtocolParser {

    private final SampleLimits limits;

    public LineProtocolParser(SampleLimits limits) {
        this.limits = limits;
    }

    /**
     * What a body held.
     *
     * @param result the samples of every good entry, and the error of every bad one
     * @param points how many entries were decoded without error
     * @param stringFields string fields skipped in the good entries
     */
    public record Parsed(ParseResult result, int points, int stringFields) {}

    /**
     * @param defaultTimeNs the time of entries without a timestamp
     * @param extra labels added to every sample that has no tag of that name (the request's database)
     */
    public Parsed parse(byte[] body, Precision precision, long defaultTimeNs, Map<String, String> extra) {
        List<ParsedSample> samples = new ArrayList<>();
        List<ParseError> errors = new ArrayList<>();
        int points = 0;
        int strings = 0;
        for (Entry entry : LineProtocolDecoder.decode(body, precision, defaultTimeNs)) {
            if (!entry.ok()) {
                errors.add(entry.error());
                continue;
            }
            Point point = entry.point();
            int before = samples.size();
            String problem = samples(point, extra, samples);
            if (problem != null) {
                samples.subList(before, samples.size()).clear();
                errors.add(new ParseError(LineProtocolDecoder.FORMAT, point.line(), 1, problem));
                continue;
            }
            points++;
            strings += (int) point.fields().stream().filter(f -> f.kind() == FieldKind.STRING).count();
        }
        return new Parsed(new ParseResult(samples, errors), points, strings);
    }

    /** Adds the point's samples; the reason it is invalid, or {@code null}. */
    private String samples(Point point, Map<String, String> extra, List<ParsedSample> out) {
        Map<String, String> labels = new TreeMap<>();
        Map<String, String> tagOf = new TreeMap<>();
        for (Tag tag : point.tags()) {
            String name = Naming.translate(tag.key(), false);
            if (name.equals("__name__")) {
                return "tag __name__ is reserved for the metric name";
            }
            String other = tagOf.put(name, tag.key());
            if (other != null) {
                return "tags " + LineProtocolDecoder.quote(other) + " and " + LineProtocolDecoder.quote(tag.key())
                        + " both become label " + name;
            }
            labels.put(name, tag.value());
        }
        extra.forEach(labels::putIfAbsent);
        Labels series = Labels.of(labels);
        long timestampMs = Math.floorDiv(point.timeNs(), 1_000_000L);
        String prefix = point.measurement().equals("prometheus") ? "" : point.measurement() + "_";
        for (Field field : point.fields()) {
            if (field.kind() == FieldKind.STRING) {
                continue;
            }
            String name = Naming.translate(prefix + field.key(), true);
            String broken = limits.check(name, series);
            if (broken != null) {
                return broken;
            }
            out.add(new ParsedSample(name, series, field.number(), timestampMs, MetricType.UNKNOWN, point.line()));
        }
        return null;
    }
}
