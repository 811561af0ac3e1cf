package io.caiman.processor.rules;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * The stream aggregation rules' self-metrics, and the rate limit of their log lines. Counters count what the
 * processor did, including work that a crash made it repeat; the aggregates themselves are exactly once.
 */
public final class RuleMetrics {

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastLogged = new ConcurrentHashMap<>();
    private final long logEveryMs;

    /** @param logEveryMs at most one log line per rule and kind of event in this many milliseconds */
    /** Per group-stage task: how far the newest per-series task's mark is ahead of the close bound, in ms. */
    private final Map<String, Long> closeWaitMs = new ConcurrentHashMap<>();

    public RuleMetrics(MeterRegistry registry, long logEveryMs) {
        this.registry = registry;
        this.logEveryMs = logEveryMs;
        io.micrometer.core.instrument.Gauge.builder("caiman_processor_rule_close_wait_seconds", closeWaitMs,
                        m -> m.values().stream().mapToLong(Long::longValue).max().orElse(0) / 1000.0)
                .description("How far (in sample time) the newest oplog partition's samples are ahead of the slowest "
                        + "busy partition's, which windows wait for, over this processor's group-stage tasks")
                .register(registry);
    }

    /** A group-stage task's wait: the newest mark less the close bound. */
    void closeWait(String task, long ms) {
        closeWaitMs.put(task, ms);
    }

    /** The task is closed (moved, or the processor stops). */
    void closeWaitGone(String task) {
        closeWaitMs.remove(task);
    }

    private Counter counter(String name, String description, String... tags) {
        String id = name + String.join(",", tags);
        return counters.computeIfAbsent(id, k -> Counter.builder(name).description(description).tags(tags).register(registry));
    }

    /** A rule's counters, registered once per rule, so counting a sample builds no meter id. */
    private record PerRule(Counter aggregated, Counter late, Counter future, Counter deduplicated, Counter byStream,
            Counter byIdle) {}

    private final Map<String, PerRule> perRule = new ConcurrentHashMap<>();

    private PerRule of(CompiledRule rule) {
        PerRule counters = perRule.get(rule.id);
        if (counters == null) {
            counters = perRule.computeIfAbsent(rule.id, id -> new PerRule(
                    counter("caiman_processor_rule_samples", "Input samples counted by a stream aggregation rule",
                            "rule", rule.name()),
                    counter("caiman_processor_rule_late_samples", "Samples of a window that had already closed (later "
                            + "than its grace), not aggregated", "rule", rule.name()),
                    counter("caiman_processor_rule_rejected_samples", "Samples a stream aggregation rule did not "
                            + "aggregate, by reason", "rule", rule.name(), "reason", "future"),
                    counter("caiman_processor_rule_deduplicated_samples", "Samples left out by a rule's dedup_interval",
                            "rule", rule.name()),
                    windowsClosed(rule, "stream"), windowsClosed(rule, "idle")));
        }
        return counters;
    }

    private Counter windowsClosed(CompiledRule rule, String how) {
        return counter("caiman_processor_rule_windows_closed", "Windows closed and written to the aggregates topic, by "
                + "what closed them (stream: a newer sample; idle: the wall clock on a quiet partition)",
                "rule", rule.name(), "by", how);
    }

    void aggregated(CompiledRule rule) {
        of(rule).aggregated().increment();
    }

    void late(CompiledRule rule, long samples) {
        of(rule).late().increment(samples);
    }

    /** A sample too far ahead of the oplog's clock (the one reason there is so far). */
    void future(CompiledRule rule) {
        of(rule).future().increment();
    }

    void deduplicated(CompiledRule rule) {
        of(rule).deduplicated().increment();
    }

    void windowClosed(CompiledRule rule, boolean byStream) {
        (byStream ? of(rule).byStream() : of(rule).byIdle()).increment();
    }

    void replicaDropped() {
        counter("caiman_processor_ha_samples_dropped", "Samples of an HA replica other than the one elected for "
                + "their series, left out of aggregation").increment();
    }

    void replicaFailover() {
        counter("caiman_processor_ha_failovers", "Times a series switched to another HA replica after the elected "
                + "one sent nothing for series.replica_timeout").increment();
    }

    /** Logs {@code message} unless a line of this {@code kind} was logged in the last interval. */
    void logLimited(Logger log, String kind, String message, Object... args) {
        long now = System.currentTimeMillis();
        AtomicLong last = lastLogged.computeIfAbsent(kind, k -> new AtomicLong(Long.MIN_VALUE / 2));
        long seen = last.get();
        if (now - seen >= logEveryMs && last.compareAndSet(seen, now)) {
            log.warn(message + " (logged at most once per " + (logEveryMs / 1000) + " s; see the counters on /metrics)", args);
        }
    }
}
