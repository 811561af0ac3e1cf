package io.caiman.processor.rules;

import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.Numbers;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.oplog.SampleKind;
import io.caiman.schemas.state.Contribution;
import io.caiman.schemas.state.ReplicaState;
import io.caiman.schemas.state.RuleSeriesState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.hash.MurmurHash3;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
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
 *   <li>forwards one {@link Contribution} per rule, keyed by the rule id and the output group, with the sample's
 *       own timestamp as the record time, to be repartitioned by group.
 * </ol>
 *
 * StatsD set members are not aggregated by rules: their value is a member hash, not a measurement.
 */
public final class SeriesRuleStage implements Processor<byte[], Sample, byte[], Contribution> {

    public static final String RULE_SERIES_STORE = "rule-series";
    public static final String REPLICA_STORE = "series-replica";

    private static final Logger log = LoggerFactory.getLogger(SeriesRuleStage.class);
    /** Series keys (per task) whose matching rules are remembered, so most samples cost no parse of their key. */
    private static final int MATCH_CACHE_SIZE = 10_000;

    private final List<CompiledRule> rules;
    private final long replicaTimeoutMs;
    private final long maxFutureMs;
    private final RuleMetrics metrics;
    private final Map<java.nio.ByteBuffer, Matched> matchCache = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<java.nio.ByteBuffer, Matched> eldest) {
            return size() > MATCH_CACHE_SIZE;
        }
    };
    private ProcessorContext<byte[], Contribution> context;
    private KeyValueStore<byte[], RuleSeriesState> states;
    private KeyValueStore<byte[], ReplicaState> replicas;

    /** The rules a series matches, with its output group key under each, and its hash. */
    private record Matched(List<CompiledRule> rules, List<byte[]> groupKeys, long hash) {}

    public SeriesRuleStage(List<CompiledRule> rules, Duration replicaTimeout, Duration maxFuture, RuleMetrics metrics) {
        this.rules = rules;
        this.replicaTimeoutMs = replicaTimeout.toMillis();
        this.maxFutureMs = maxFuture.toMillis();
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], Contribution> context) {
        this.context = context;
        this.states = context.getStateStore(RULE_SERIES_STORE);
        this.replicas = context.getStateStore(REPLICA_STORE);
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
            Contribution c = Contribution.newBuilder()
                    .setWindowStartMs(Math.floorDiv(ts, rule.intervalMs) * rule.intervalMs)
                    .setTimestampMs(ts).setValue(value).setSeriesHash(matched.hash)
                    .setIncrease(increase).setPreviousMs(previous).build();
            context.forward(new Record<>(matched.groupKeys.get(i), c, ts));
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
        Map<String, CompiledRule> byId = new java.util.HashMap<>();
        rules.forEach(r -> byId.put(r.id, r));
        StoreSweep.deleteWhere(states, (key, state) -> {
            CompiledRule rule = byId.get(CompiledRule.idOf(key));
            return rule == null || streamTime - state.getSeenMs() > rule.stalenessMs;
        });
        long keepReplicas = Math.max(replicaTimeoutMs, rules.stream().mapToLong(r -> r.stalenessMs).max().orElse(0)) * 2;
        StoreSweep.deleteWhere(replicas, (key, state) -> streamTime - state.getSeenMs() > keepReplicas);
    }
}
