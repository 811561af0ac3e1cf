package io.caiman.core.metrics;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/** The meter registry behind every Caiman process's {@code /metrics}. */
public final class Registries {

    /**
     * The bucket bounds of every latency histogram Caiman exposes: 10 µs to 10 s, at 1, 2.5 and 5 of each decade, so
     * a histogram is 20 series ({@code +Inf} included). Micrometer's percentile histograms publish 69 to 106 buckets
     * each; with a histogram per protocol and stage, a gateway's {@code /metrics} held close to 4,000 bucket series,
     * which every Prometheus scraping a row of gateways paid for.
     */
    static final Duration[] LATENCY_BOUNDS = latencyBounds();

    private Registries() {}

    private static Duration[] latencyBounds() {
        long[] steps = {10, 25, 50};
        Duration[] bounds = new Duration[19];
        long decade = 1_000;  // nanoseconds
        for (int i = 0; i < bounds.length; i++) {
            bounds[i] = Duration.ofNanos(steps[i % 3] * decade);
            if (i % 3 == 2) {
                decade *= 10;
            }
        }
        return bounds;
    }

    /** A timer exposed as a histogram with {@link #LATENCY_BOUNDS} as its buckets. */
    public static Timer.Builder latencyHistogram(String name) {
        return Timer.builder(name).serviceLevelObjectives(LATENCY_BOUNDS);
    }

    /**
     * A Prometheus registry with the process's own metrics already bound: heap and non-heap memory by pool
     * ({@code jvm_memory_used_bytes}), garbage collections and the live heap after them
     * ({@code jvm_gc_live_data_size_bytes}), threads, classes, CPU use ({@code process_cpu_usage}) and uptime, so
     * an operator can see what a gateway or processor costs without another agent.
     */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        // lives as long as the process: its GC listener is never unregistered
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }
}
