package io.caiman.core.wire;

import io.caiman.core.model.Labels;
import io.caiman.schemas.oplog.MetricType;

/**
 * A sample as read from a wire format, before it is assigned a tenant and written.
 *
 * @param timestampMs the sender's timestamp, or {@code null} when it gave none
 * @param line the input line it came from, for errors found later
 */
public record ParsedSample(String name, Labels labels, double value, Long timestampMs, MetricType type, int line) {}
