package io.caiman.core.wire;

import io.caiman.schemas.oplog.MetricType;
import java.util.Map;

/** Which metric family a sample name belongs to, given the types its sender declared per family. */
public final class MetricFamilies {

    private MetricFamilies() {}

    /**
     * The declared type of {@code name}'s family: its own declaration, or that of the histogram or summary
     * it is a {@code _bucket}, {@code _sum} or {@code _count} series of; {@code UNKNOWN} otherwise.
     */
    public static MetricType typeOf(String name, Map<String, MetricType> declared) {
        if (declared.isEmpty()) {
            return MetricType.UNKNOWN; // remote write 1.0 without metadata: once per series
        }
        MetricType t = declared.get(name);
        if (t != null) {
            return t;
        }
        for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
            if (name.endsWith(suffix)) {
                MetricType family = declared.get(name.substring(0, name.length() - suffix.length()));
                if (family == MetricType.HISTOGRAM || family == MetricType.GAUGE_HISTOGRAM
                        || (family == MetricType.SUMMARY && !suffix.equals("_bucket"))) {
                    return family;
                }
            }
        }
        return MetricType.UNKNOWN;
    }
}
