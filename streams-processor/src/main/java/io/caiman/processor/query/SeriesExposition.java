package io.caiman.processor.query;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.Numbers;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.state.SeriesState;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;

/**
 * Renders per-series state in the Prometheus text format:
 *
 * <ul>
 *   <li>each series under its own name and labels with its last value ({@code # TYPE} counter or gauge
 *       when the sender declared it, else untyped); series of a tenant other than the default carry an
 *       extra {@code caiman_tenant} label, so two tenants' series never collide;
 *   <li>{@code caiman_processor_series_samples_total{series="<canonical key>"}}: how many samples of each
 *       series were counted.
 * </ul>
 *
 * Families are grouped by name, as the format requires.
 */
public final class SeriesExposition {

    public static final String TENANT_LABEL = "caiman_tenant";
    public static final String COUNT_FAMILY = "caiman_processor_series_samples_total";

    private SeriesExposition() {}

    public static String render(Iterator<KeyValue<byte[], SeriesState>> states) {
        return render(states, key -> true);
    }

    /** Renders the series {@code shown} accepts (the input of rules without {@code keep_input} is left out). */
    public static String render(Iterator<KeyValue<byte[], SeriesState>> states, java.util.function.Predicate<SeriesKey> shown) {
        Map<String, StringBuilder> families = new TreeMap<>();
        Map<String, MetricType> types = new TreeMap<>();
        StringBuilder counts = new StringBuilder();
        while (states.hasNext()) {
            KeyValue<byte[], SeriesState> kv = states.next();
            SeriesKey key = SeriesKey.parse(kv.key);
            if (!shown.test(key)) {
                continue;
            }
            SeriesState state = kv.value;
            Labels labels = key.labels();
            if (!key.tenant().equals(Naming.DEFAULT_TENANT)) {
                Map<String, String> withTenant = new TreeMap<>();
                labels.forEach(withTenant::put);
                withTenant.put(TENANT_LABEL, key.tenant());
                labels = Labels.of(withTenant);
            }
            StringBuilder family = families.computeIfAbsent(key.name(), n -> new StringBuilder());
            types.merge(key.name(), state.getMetricType(), (a, b) -> a == b ? a : MetricType.UNKNOWN);
            family.append(key.name()).append(labels.size() > 0 ? labels.toString() : "").append(' ')
                    .append(Numbers.formatSample(state.getLastValue())).append('\n');
            counts.append(COUNT_FAMILY).append("{series=\"");
            SeriesKey.escape(counts, key.toString());
            counts.append("\"} ").append(state.getSampleCount()).append('\n');
        }
        StringBuilder out = new StringBuilder();
        families.forEach((name, lines) -> out.append("# TYPE ").append(name).append(' ')
                .append(typeName(types.get(name))).append('\n').append(lines));
        if (counts.length() > 0) {
            out.append("# HELP ").append(COUNT_FAMILY).append(" Samples of each series counted by this processor, exactly once.\n")
                    .append("# TYPE ").append(COUNT_FAMILY).append(" counter\n").append(counts);
        }
        return out.toString();
    }

    private static String typeName(MetricType type) {
        return type == MetricType.COUNTER || type == MetricType.GAUGE ? type.name().toLowerCase(Locale.ROOT) : "untyped";
    }
}
