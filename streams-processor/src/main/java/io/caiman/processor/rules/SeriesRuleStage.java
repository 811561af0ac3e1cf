package io.caiman.processor.rules;

import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.Numbers;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.oplog.SampleKind;
import io.caiman.schemas.state.Contribution;
import io.caiman.schemas.state.ReplicaState;
import io.caiman.schemas.state.RuleSeriesState;
import io.caiman.schemas.state.WindowState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.hash.MurmurHash3;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-series half of stream aggregation, co-partitioned with the oplog (its input key is the series key, so
 * its state needs no repartition). For each sample of a series some rules match, it:
 *
 * <ol>
 *   <li>refuses a timestamp more than {@code processor.max_future} ahead of the oplog's append time;
 *   <li>keeps one HA replica per series (store {@code series-replica}): the first seen is elected, and another
 *       takes over only with a sample more than {@code series.replica_timeout} newer than the elected one's newest;
 *   <li>ends the series at a stale marker (its rule states are dropped; nothing is aggregated);
 *   <li>per rule (store {@code rule-series}): starts the series afresh after {@code staleness_interval} without a
 *       sample, keeps one sample per {@code dedup_interval} slot, and works out the increase since the previous
 *       sample, counter resets taken into account (a value below the previous one counts from 0);
 *   <li>counts a sample of a window whose end plus grace this task has already passed as late (its window may have
 *       closed downstream), and otherwise adds it to a part of its window per rule and output group (store
 *       {@code rule-partials}); for rules that count series or rates, it also sends the series' part of the window
 *       on at once.
 * </ol>
 *
 * <p>Every {@code processor.rule_flush_interval} (by the wall clock), and each time the task's samples advance by half
 * the smallest grace (by sample time), the window parts go on as {@link Contribution}s, keyed
 * by the rule id and the output group, to be repartitioned by group. So one record carries what a task added up for a
 * group in that time, not one sample,
 * and a rule with few groups neither writes the repartition topic per sample nor sends all of it to one partition.
 * The parts are state like any other: committed with the input offsets and the output in one transaction, restored
 * after a crash, moved with the task.
 *
 * StatsD set members are not aggregated by rules: their value is a member hash, not a measurement.
 */
public final class SeriesRuleStage implements Processor<byte[], Sample, byte[], Contribution> {

    public static final String RULE_SERIES_STORE = "rule-series";
    public static final String REPLICA_STORE = "series-replica";
    /**
     * Parts of windows added up here and not yet sent on, keyed as {@link WindowStage#windowKey} keys windows; cached,
     * so a part is written out at most once a commit.
     */
    public static final String PARTIAL_STORE = "rule-partials";

    private static final Logger log = LoggerFactory.getLogger(SeriesRuleStage.class);
    /** Series keys (per task) whose matching rules are remembered, so most samples cost no parse of their key. */
    private static final int MATCH_CACHE_SIZE = 10_000;

    private final List<CompiledRule> rules;
    private final long replicaTimeoutMs;
    private final long maxFutureMs;
    private final RuleMetrics metrics;
    private final long flushMs;
    /**
     * Parts also go on each time this task's samples advance this far (half the smallest grace): while a backlog is
     * read (a replay, a restart) a flush interval of the wall clock spans far more sample time than the grace, and
     * a task that held its parts that long would find its windows closed by the other tasks' parts.
     */
    private final long flushSpanMs;
    private final Map<String, CompiledRule> byId = new HashMap<>();
    private final Map<java.nio.ByteBuffer, Matched> matchCache = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<java.nio.ByteBuffer, Matched> eldest) {
            return size() > MATCH_CACHE_SIZE;
        }
    };
    private ProcessorContext<byte[], Contribution> context;
    private KeyValueStore<byte[], RuleSeriesState> states;
    private KeyValueStore<byte[], ReplicaState> replicas;
    private KeyValueStore<byte[], Contribution> parts;
    /**
     * The newest timestamp this task has aggregated: a sample of a window whose end plus grace is at or before it is
     * late. Windows close downstream by the newest timestamp the parts bring, so a sample this task would add after
     * its partition's newer samples were sent on could reach its window after that closed.
     */
    private long newest = Long.MIN_VALUE;
    /** The earliest close time of a window part in the store ({@code Long.MAX_VALUE}: none). */
    private long firstClose = Long.MAX_VALUE;
    /** {@link #newest} at the last flush. */
    private long flushedAt = Long.MIN_VALUE;

    /** The rules a series matches, with its output group key under each, and its hash. */
    private record Matched(List<CompiledRule> rules, List<byte[]> groupKeys, long hash) {}

    public SeriesRuleStage(List<CompiledRule> rules, Duration replicaTimeout, Duration maxFuture, Duration flushInterval,
            RuleMetrics metrics) {
        this.rules = rules;
        this.flushMs = flushInterval.toMillis();
        this.flushSpanMs = Math.max(1, rules.stream().mapToLong(r -> r.graceMs).min().orElse(0) / 2);
        rules.forEach(r -> byId.put(r.id, r));
        this.replicaTimeoutMs = replicaTimeout.toMillis();
        this.maxFutureMs = maxFuture.toMillis();
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], Contribution> context) {
        this.context = context;
        this.states = context.getStateStore(RULE_SERIES_STORE);
        this.replicas = context.getStateStore(REPLICA_STORE);
        this.parts = context.getStateStore(PARTIAL_STORE);
        firstClose = WindowStage.firstCloseIn(parts); // parts committed before a restart
        context.schedule(Duration.ofMillis(flushMs), PunctuationType.WALL_CLOCK_TIME, this::flush);
        long every = Math.max(10_000, rules.stream().mapToLong(r -> r.stalenessMs).min().orElse(60_000));
        context.schedule(Duration.ofMillis(every), PunctuationType.STREAM_TIME, this::purge);
    }

    @Override
    public void process(Record<byte[], Sample> record) {
        Matched matched = matched(record.key());
        if (matched.rules.isEmpty()) {
            return;
        }
        Sample sample = record.value();
        long ts = sample.getTimestampMs();
        if (ts > record.timestamp() + maxFutureMs) {
            for (CompiledRule rule : matched.rules) {
                metrics.future(rule);
            }
            metrics.logLimited(log, "future", "a sample of {} is {} ms ahead of when the oplog accepted it (more than "
                    + "processor.max_future); not aggregated", SeriesKey.parse(record.key()), ts - record.timestamp());
            return;
        }
        if (!sample.getReplica().isEmpty() && !elected(record.key(), sample.getReplica(), ts, record.timestamp())) {
            metrics.replicaDropped();
            return;
        }
        boolean stale = Numbers.isStaleMarker(sample.getValue());
        if (sample.getKind() == SampleKind.SET_MEMBER) {
            return;
        }
        boolean counted = false;
        for (int i = 0; i < matched.rules.size(); i++) {
            CompiledRule rule = matched.rules.get(i);
            byte[] stateKey = rule.key(record.key());
            if (stale) {
                states.delete(stateKey);
                continue;
            }
            RuleSeriesState state = states.get(stateKey);
            if (state != null && ts - state.getLastTimestampMs() > rule.stalenessMs) {
                state = null; // the series went stale: it starts afresh
            }
            long slot = rule.dedupMs > 0 ? Math.floorDiv(ts, rule.dedupMs) : Long.MIN_VALUE;
            if (rule.dedupMs > 0 && state != null && slot <= state.getDedupSlot()) {
                metrics.deduplicated(rule);
                continue;
            }
            double value = sample.getValue();
            double increase = Double.NaN;
            long previous = 0;
            RuleSeriesState.Builder next;
            if (state == null) {
                next = RuleSeriesState.newBuilder().setLastTimestampMs(ts).setBaseline(Double.NaN);
            } else {
                next = RuleSeriesState.newBuilder(state);
            }
            if (sample.getKind() == SampleKind.INCREMENT) {
                increase = value;
                previous = state == null ? 0 : state.getLastTimestampMs();
                next.setLastTimestampMs(Math.max(ts, next.getLastTimestampMs()));
            } else if (state == null) {
                next.setBaseline(value);
            } else if (ts > state.getLastTimestampMs()) {
                double base = state.getBaseline();
                if (!Double.isNaN(base) && !Double.isNaN(value)) {
                    increase = value >= base ? value - base : value;
                    previous = state.getLastTimestampMs();
                }
                next.setBaseline(value).setLastTimestampMs(ts);
            }
            if (rule.dedupMs > 0) {
                next.setDedupSlot(slot);
            }
            next.setSeenMs(record.timestamp());
            states.put(stateKey, next.build());
            metrics.aggregated(rule);
            long windowStart = Math.floorDiv(ts, rule.intervalMs) * rule.intervalMs;
            long closeAt = windowStart + rule.intervalMs + rule.graceMs;
            if (closeAt <= newest) {
                late(rule, record.key(), ts, windowStart);
                continue;
            }
            // the series' first sample in this window (or one out of order from another window): state is as it was
            boolean firstInWindow = state == null || Math.floorDiv(state.getLastTimestampMs(), rule.intervalMs)
                    != Math.floorDiv(ts, rule.intervalMs);
            addToParts(rule, matched.groupKeys.get(i), windowStart, closeAt, matched.hash, firstInWindow,
                    new Contribution(windowStart, ts, value, matched.hash, increase, previous, null, null));
            counted = true;
        }
        if (counted && ts > newest) {
            newest = ts;
            if (flushedAt == Long.MIN_VALUE) {
                flushedAt = newest;
            } else if (newest - flushedAt >= flushSpanMs) {
                flush(context.currentSystemTimeMs());
            }
        }
    }

    /**
     * Adds one sample ({@code c}) to its window's part under the group. For a rule with rates, the sample also goes on
     * at once as its series' part of the window, and for one that counts series, its first sample in the window
     * does: a series brings one sample a scrape, far fewer than a commit interval's worth, so a stored series part
     * would cost a write per sample and save none. Its
     * record time is the window's start, so it never closes a window downstream; only window parts do.
     */
    private void addToParts(CompiledRule rule, byte[] groupKey, long windowStart, long closeAt, long seriesHash,
            boolean firstInWindow, Contribution c) {
        byte[] key = WindowStage.windowKey(closeAt, windowStart, groupKey);
        Contribution part = parts.get(key);
        WindowState window = WindowMath.add(part == null ? WindowMath.empty(rule) : part.getWindow(), c, rule);
        long newestTs = part == null ? c.getTimestampMs() : Math.max(part.getTimestampMs(), c.getTimestampMs());
        parts.put(key, new Contribution(windowStart, newestTs, Double.NaN, 0L, Double.NaN, 0L, window, null));
        firstClose = Math.min(firstClose, closeAt);
        // count_series needs only that the series was there: its first sample in a window says so (a repeat, for a
        // sample out of order, merges into the same presence); the rates need every increase
        if (rule.rates() || (rule.perSeries() && firstInWindow)) {
            if (windowStart >= firstClose) {
                flush(context.currentSystemTimeMs()); // the series' part would close windows whose parts are still here
            }
            context.forward(new Record<>(groupKey, new Contribution(windowStart, c.getTimestampMs(), Double.NaN, seriesHash,
                    Double.NaN, 0L, null, WindowMath.addSeries(null, c)), windowStart));
        }
    }

    private void late(CompiledRule rule, byte[] seriesKey, long ts, long windowStart) {
        metrics.late(rule, 1);
        metrics.logLimited(log, "late-" + rule.id, "rule {}: a sample of {} at {} came after its window [{}, {}) closed "
                + "(its partition already has samples past the window's end plus grace, {} ms); it is counted in "
                + "caiman_processor_rule_late_samples_total, not aggregated", rule.name(), SeriesKey.parse(seriesKey), ts,
                windowStart, windowStart + rule.intervalMs, rule.graceMs);
    }

    /**
     * Sends every window part on to the group stage, and out of the store, in the transaction of the input they add
     * up, in the order their windows close (the store's key order).
     */
    private void flush(long wallNow) {
        flushedAt = newest;
        firstClose = Long.MAX_VALUE;
        List<KeyValue<byte[], Contribution>> due = new ArrayList<>();
        try (KeyValueIterator<byte[], Contribution> it = parts.all()) {
            while (it.hasNext()) {
                due.add(it.next());
            }
        }
        for (KeyValue<byte[], Contribution> kv : due) {
            parts.delete(kv.key);
            context.forward(new Record<>(WindowStage.groupOf(kv.key), kv.value, kv.value.getTimestampMs()));
        }
    }

    private Matched matched(byte[] key) {
        java.nio.ByteBuffer k = java.nio.ByteBuffer.wrap(key);
        Matched m = matchCache.get(k);
        if (m == null) {
            SeriesKey series = SeriesKey.parse(key);
            List<CompiledRule> hits = new ArrayList<>(2);
            List<byte[]> groups = new ArrayList<>(2);
            for (CompiledRule rule : rules) {
                if (rule.matches(series)) {
                    hits.add(rule);
                    groups.add(rule.key(rule.group(series).bytes()));
                }
            }
            m = new Matched(List.copyOf(hits), List.copyOf(groups), MurmurHash3.hash(key, 0x5eed)[0]);
            matchCache.put(k, m);
        }
        return m;
    }

    /** Whether the sample of {@code replica} at {@code ts} is from the series' elected replica (electing it if due). */
    private boolean elected(byte[] key, String replica, long ts, long seen) {
        ReplicaState state = replicas.get(key);
        if (state == null || state.getElected().equals(replica)) {
            long newest = state == null ? ts : Math.max(ts, state.getLastTimestampMs());
            replicas.put(key, ReplicaState.newBuilder().setElected(replica).setLastTimestampMs(newest).setSeenMs(seen).build());
            return true;
        }
        if (ts - state.getLastTimestampMs() > replicaTimeoutMs) {
            replicas.put(key, ReplicaState.newBuilder().setElected(replica).setLastTimestampMs(ts).setSeenMs(seen).build());
            metrics.replicaFailover();
            metrics.logLimited(log, "failover", "series {} switched from HA replica {} to {}: the elected one sent "
                    + "nothing for {} ms", SeriesKey.parse(key), state.getElected(), replica, ts - state.getLastTimestampMs());
            return true;
        }
        return false;
    }

    /**
     * Drops the state of series the oplog has not brought for their rule's staleness interval (by the oplog's
     * clock, so a backfill of old samples keeps its baselines while it runs), and of rules no longer configured, so
     * the stores stay bounded.
     */
    private void purge(long streamTime) {
        StoreSweep.deleteWhere(states, (key, state) -> {
            CompiledRule rule = byId.get(CompiledRule.idOf(key));
            return rule == null || streamTime - state.getSeenMs() > rule.stalenessMs;
        });
        long keepReplicas = Math.max(replicaTimeoutMs, rules.stream().mapToLong(r -> r.stalenessMs).max().orElse(0)) * 2;
        StoreSweep.deleteWhere(replicas, (key, state) -> streamTime - state.getSeenMs() > keepReplicas);
    }
}
