package io.caiman.processor.query;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.Numbers;
import io.caiman.schemas.aggregate.Aggregate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;

/**
 * Renders the latest closed window of every output series of the stream aggregation rules in the Prometheus text
 * format, without timestamps (a scrape sees the newest closed window). {@code total} outputs are counters, every
 * other output a gauge; {@code quantiles} carry a {@code quantile} label and {@code histogram_bucket} an {@code le}
 * label, as Prometheus writes summaries and histograms. Outputs of a tenant other than the default carry
 * {@code caiman_tenant}, as the per-series exposition does.
 */
public final class AggregateExposition {

    private AggregateExposition() {}

    /** One series of an aggregate: a quantile or bucket of multi-valued outputs gets its own, labelled. */
    public record Point(SeriesKey key, String extraName, String extraValue, double value) {

        /** The labels as exposed and pushed: the output's, the quantile or bound, and a non-default tenant. */
        public Labels labels() {
            Map<String, String> labels = new TreeMap<>();
            key.labels().forEach(labels::put);
            if (extraName != null) {
                labels.put(extraName, extraValue);
            }
            if (!key.tenant().equals(Naming.DEFAULT_TENANT)) {
                labels.put(SeriesExposition.TENANT_LABEL, key.tenant());
            }
            return Labels.of(labels);
        }
    }

    /** The series of one aggregate, quantiles and buckets in increasing order. */
    public static List<Point> points(Aggregate a) {
        SeriesKey key = SeriesKey.parse(a.getSeries());
        if (a.getValues().isEmpty()) {
            return List.of(new Point(key, null, null, a.getValue()));
        }
        String label = key.name().endsWith("_quantiles") ? "quantile" : "le";
        List<Map.Entry<String, Double>> values = new ArrayList<>(a.getValues().entrySet());
        values.sort(Map.Entry.comparingByKey((x, y) -> Double.compare(bound(x), bound(y))));
        List<Point> points = new ArrayList<>(values.size());
        for (Map.Entry<String, Double> v : values) {
            points.add(new Point(key, label, v.getKey(), v.getValue()));
        }
        return points;
    }

    public static String render(Iterator<KeyValue<byte[], Aggregate>> latest) {
        Map<String, List<String>> families = new TreeMap<>();
        while (latest.hasNext()) {
            for (Point p : points(latest.next().value)) {
                Labels labels = p.labels();
                families.computeIfAbsent(p.key().name(), n -> new ArrayList<>()).add(p.key().name()
                        + (labels.size() > 0 ? labels.toString() : "") + " " + Numbers.formatSample(p.value()));
            }
        }
        StringBuilder out = new StringBuilder();
        families.forEach((name, lines) -> {
            out.append("# TYPE ").append(name).append(name.endsWith("_total") ? " counter\n" : " gauge\n");
            lines.stream().sorted().forEach(l -> out.append(l).append('\n'));
        });
        return out.toString();
    }

    private static double bound(String text) {
        return text.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(text);
    }
}
