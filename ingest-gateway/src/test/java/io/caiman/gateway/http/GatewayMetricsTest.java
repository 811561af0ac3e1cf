package io.caiman.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Collection;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {

    @Test
    void shouldCountEveryAcceptedSampleWithAtMostAThousandTenantLabelsWhateverNamesSendersMakeUp() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        GatewayMetrics metrics = new GatewayMetrics(registry, "prometheus-text");
        for (int i = 0; i < 1_500; i++) {
            metrics.accepted("tenant-" + i, 2);
        }
        metrics.accepted("tenant-7", 5);       // one of the first thousand: its own counter still
        metrics.accepted("tenant-1499", 5);    // one past them: with the rest
        Collection<Counter> counters = registry.find("caiman_gateway_samples_accepted").counters();
        assertThat(counters).hasSize(GatewayMetrics.MAX_TENANT_LABELS + 1);
        assertThat(counters.stream().mapToDouble(Counter::count).sum()).isEqualTo(3_010);
        assertThat(registry.get("caiman_gateway_samples_accepted").tag("tenant", "tenant-7").counter().count())
                .isEqualTo(7);
        assertThat(registry.get("caiman_gateway_samples_accepted").tag("tenant", GatewayMetrics.OTHER_TENANTS)
                .counter().count()).isEqualTo(1_005);
    }
}
