package io.caiman.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RegistriesTest {

    private static final Pattern BUCKET = Pattern.compile("^demo_seconds_bucket\\{le=\"([^\"]+)\"} (\\S+)$",
            Pattern.MULTILINE);

    @Test
    void shouldExposeALatencyHistogramWithTwentyBucketsFromTenMicrosecondsToTenSeconds() {
        PrometheusMeterRegistry registry = Registries.newRegistry();
        Timer timer = Registries.latencyHistogram("demo").register(registry);
        timer.record(Duration.ofNanos(7_000));
        timer.record(Duration.ofMillis(3));
        timer.record(Duration.ofSeconds(60));

        Matcher bucket = BUCKET.matcher(registry.scrape());
        List<String> bounds = new java.util.ArrayList<>();
        List<Double> counts = new java.util.ArrayList<>();
        while (bucket.find()) {
            bounds.add(bucket.group(1));
            counts.add(Double.parseDouble(bucket.group(2)));
        }

        assertThat(bounds).hasSize(20);
        assertThat(bounds.get(0)).isEqualTo("1.0E-5");
        assertThat(bounds.get(1)).isEqualTo("2.5E-5");
        assertThat(bounds.get(6)).isEqualTo("0.001");
        assertThat(bounds.get(18)).isEqualTo("10.0");
        assertThat(bounds.get(19)).isEqualTo("+Inf");
        // cumulative: 7 µs in every bucket, 3 ms from the 5 ms bucket on, 60 s only in +Inf
        assertThat(counts.get(0)).isEqualTo(1.0);
        assertThat(counts.get(7)).isEqualTo(1.0);
        assertThat(counts.get(8)).isEqualTo(2.0);
        assertThat(counts.get(18)).isEqualTo(2.0);
        assertThat(counts.get(19)).isEqualTo(3.0);
    }
}
