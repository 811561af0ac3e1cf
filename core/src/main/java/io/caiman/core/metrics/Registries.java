package io.caiman.core.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The meter registry behind every Caiman process's {@code /metrics}. */
public final class Registries {

    private Registries() {}

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
