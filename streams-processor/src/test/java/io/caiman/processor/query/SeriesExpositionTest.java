package io.caiman.processor.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.state.SeriesState;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

class SeriesExpositionTest {

    static KeyValue<byte[], SeriesState> kv(String tenant, String name, Labels labels, double value, long count, MetricType type) {
        return KeyValue.pair(SeriesKey.of(tenant, name, labels).bytes(), SeriesState.newBuilder().setLastValue(value)
                .setLastTimestampMs(1).setSampleCount(count).setMetricType(type).build());
    }

    @Test
    void shouldRenderFamiliesGroupedWithTypesTenantsAndCounts() {
        String text = SeriesExposition.render(List.of(
                kv("default", "http_requests_total", Labels.of("code", "200"), 10, 3, MetricType.COUNTER),
                kv("default", "temp", Labels.EMPTY, 21.5, 1, MetricType.GAUGE),
                kv("other", "http_requests_total", Labels.of("code", "500"), Double.NaN, 2, MetricType.COUNTER),
                kv("default", "weird", Labels.of("v", "a\"b"), Double.POSITIVE_INFINITY, 1, MetricType.HISTOGRAM)).iterator());
        assertThat(text).isEqualTo(String.join("\n",
                "# TYPE http_requests_total counter",
                "http_requests_total{code=\"200\"} 10",
                "http_requests_total{caiman_tenant=\"other\",code=\"500\"} NaN",
                "# TYPE temp gauge",
                "temp 21.5",
                "# TYPE weird untyped",
                "weird{v=\"a\\\"b\"} +Inf",
                "# HELP caiman_processor_series_samples_total Samples of each series counted by this processor, exactly once.",
                "# TYPE caiman_processor_series_samples_total counter",
                "caiman_processor_series_samples_total{series=\"default/http_requests_total{code=\\\"200\\\"}\"} 3",
                "caiman_processor_series_samples_total{series=\"default/temp\"} 1",
                "caiman_processor_series_samples_total{series=\"other/http_requests_total{code=\\\"500\\\"}\"} 2",
                "caiman_processor_series_samples_total{series=\"default/weird{v=\\\"a\\\\\\\"b\\\"}\"} 1",
                ""));
        // what it writes, Caiman's own parser reads back
        assertThat(new io.caiman.core.wire.prometheus.PrometheusTextParser().parse(text.getBytes()).errors()).isEmpty();
    }
}
