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

    public static String render(Iterator<KeyValue<byte[], Aggregate>> latest) {
        Map<String, List<String>> families = new TreeMap<>();
        while (latest.hasNext()) {
            Aggregate a = latest.next().value;
            SeriesKey key = SeriesKey.parse(a.getSeries());
            List<String> lines = families.computeIfAbsent(key.name(), n -> new ArrayList<>());
            if (a.getValues().isEmpty()) {
                lines.add(line(key, null, null, a.getValue()));
            } else {
                String label = key.name().endsWith("_quantiles") ? "quantile" : "le";
                List<Map.Entry<String, Double>> values = new ArrayList<>(a.getValues().entrySet());
                values.sort(Map.Entry.comparingByKey((x, y) -> Double.compare(bound(x), bound(y))));
                for (Map.Entry<String, Double> v : values) {
                    lines.add(line(key, label, v.getKey(), v.getValue()));
                }
            }
        }
        StringBuilder out = new StringBuilder();
        families.forEach((name, lines) -> {
            out.append("# TYPE ").append(name).append(name.endsWith("_total") ? " counter\n" : " gauge\n");
            lines.stream().sorted().forEach(l -> out.append(l).append('\n'));
        });
        return out.toString();
    }

    private static String line(SeriesKey key, String extraName, String extraValue, double value) {
        Map<String, String> labels = new TreeMap<>();
        key.labels().forEach(labels::put);
        if (extraName != null) {
            labels.put(extraName, extraValue);
        }
        if (!key.tenant().equals(Naming.DEFAULT_TENANT)) {
            labels.put(SeriesExposition.TENANT_LABEL, key.tenant());
        }
        Labels all = Labels.of(labels);
        return key.name() + (all.size() > 0 ? all.toString() : "") + " " + Numbers.formatSample(value);
    }

    private static double bound(String text) {
        return text.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(text);
    }
}
