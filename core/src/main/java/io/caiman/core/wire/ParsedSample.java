package io.caiman.core.wire;

import io.caiman.core.model.Labels;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.SampleKind;

/**
 * A sample as read from a wire format, before it is assigned a tenant and written.
 *
 * @param timestampMs the sender's timestamp, or {@code null} when it gave none
 * @param line the input line it came from, for errors found later
 * @param kind how a processor applies the value: {@link SampleKind#VALUE} for every format but StatsD
 */
public record ParsedSample(String name, Labels labels, double value, Long timestampMs, MetricType type, int line,
        SampleKind kind) {

    /** A sample that is the series' value at its timestamp. */
    public ParsedSample(String name, Labels labels, double value, Long timestampMs, MetricType type, int line) {
        this(name, labels, value, timestampMs, type, line, SampleKind.VALUE);
    }
}
