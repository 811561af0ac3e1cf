package io.caiman.processor.rules;

import io.caiman.core.model.KeyLayout;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.Numbers;
import io.caiman.processor.topology.SeriesStates;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.oplog.SampleKind;
import io.caiman.schemas.state.Contribution;
import io.caiman.schemas.state.ReplicaState;
import io.caiman.schemas.state.RuleSeriesState;
import io.caiman.schemas.state.SeriesState;
import io.caiman.schemas.state.WindowState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.hash.MurmurHash3;
import org.apache.kafka.common.utils.Bytes;
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
 * The per-series stage, co-partitioned with the oplog (its input key is the series key, so its state needs no
 * repartition). It keeps one record of state per series, {@link SeriesState} in the store {@code series-state}: the
 * series' own value (see {@link SeriesStates}), and, for the stream aggregation rules the series matches, what each
 * rule needs of it and the HA replica elected for it. So a sample costs one read and one write of state, whatever
 * rules match it. For each sample some rules match, it:
 *
 * <ol>
 *   <li>refuses a timestamp more than {@code processor.max_future} ahead of the oplog's append time;
 *   <li>keeps one HA replica per series: the first seen is elected, and another takes over only with a sample more
 *       than {@code series.replica_timeout} newer than the elected one's newest;
 *   <li>ends the series at a stale marker (nothing is aggregated, and its next sample starts afresh; for count_series
 *       the windows it was counted in are kept, so that it is not counted in one of them twice);
 *   <li>per rule: starts the series afresh after {@code staleness_interval} without a sample, keeps one sample per
 *       {@code dedup_interval} slot, and works out the increase since the previous sample, counter resets taken into
 *       account (a value below the previous one counts from 0);
 *   <li>counts a sample of a window whose end plus grace this task has already passed as late (its window may have
 *       closed downstream), and otherwise adds it to a part of its window per rule and output group (store
 *       {@code rule-partials}). For {@code count_series} it counts the series in the part, once per window (its
 *       rule state remembers the windows it was counted in). Rules with rates, which need each series' increase,
 *       and count_series rules with a grace of 62 intervals or more, also send the series' part of the window on at
 *       once, for the group stage to tell the series apart.
 * </ol>
 *
 * <p>Every {@code processor.rule_flush_interval} (by the wall clock), and as soon as a sample reaches the end plus
 * grace of any rule's window (so the window closes without waiting for the next flush), the window parts go on as
 * {@link Contribution}s, keyed by the rule id and the output group, to be repartitioned by group. So one record
 * carries what a task added up for a group in that time, not one sample, and a rule with few groups neither writes
 * the repartition topic per sample nor sends all of it to one partition. After its parts, the task sends its mark (see
 * {@link Marks}) to every partition of the group stage: its newest sample time, or that it is idle. A window closes
 * only when every task has marked past it, so the parts a task holds can never come after their window closed.
 * The parts are state like any other: committed with the input offsets and the output in one transaction, restored
 * after a crash, moved with the task.
 *
 * <p>Before, rule states and elected replicas had stores of their own ({@code rule-series}, keyed by rule id and
 * series key, and {@code series-replica}). A task moves what it finds in them into {@code series-state} before it
 * aggregates its first sample, so a processor upgraded over state of that layout loses no baseline; the two stores
 * stay in the topology, empty, so that such state can still be found.
 *
 * StatsD set members are not aggregated by rules: their value is a member hash, not a measurement.
 */
public final class SeriesStage implements Processor<byte[], Sample, byte[], Contribution> {

    /** The per-series state store; its changelog is {@code <application.id>-series-state-changelog}. */
    public static final String STATE_STORE = "series-state";
    /** The store rule states had before they moved into {@link #STATE_STORE}; only read, to move what it holds. */
    public static final String LEGACY_RULE_STORE = "rule-series";
    /** The store elected replicas had before they moved into {@link #STATE_STORE}; only read, to move what it holds. */
    public static final String LEGACY_REPLICA_STORE = "series-replica";
    /**
     * Parts of windows added up here and not yet sent on, keyed as {@link WindowStage#windowKey} keys windows; cached,
     * so a part is written out at most once a commit.
     */
    public static final String PARTIAL_STORE = "rule-partials";

    private static final Logger log = LoggerFactory.getLogger(SeriesStage.class);
    /** Always set in {@code RuleSeriesState.windows} (so 0 marks state written before the field). */
    private static final long COUNTED_MARK = Long.MIN_VALUE;
    private final SeriesStates seriesStates;
    private final List<CompiledRule> rules;
    private final long replicaTimeoutMs;
    private final long maxFutureMs;
    private final RuleMetrics metrics;
    private final long flushMs;
    private final Map<String, CompiledRule> byId = new HashMap<>();
    /** Where the parts of the key of the sample at hand lie (see {@link #matched}). */
    private final KeyLayout layout = new KeyLayout();
    private ProcessorContext<byte[], Contribution> context;
    private KeyValueStore<byte[], SeriesState> states;
    private KeyValueStore<byte[], Contribution> parts;
    /**
     * The parts in {@link #parts} this task has read or written since it started or last flushed, as the objects it
     * read or wrote: a sample adds to its window's part without decoding it again from the store's bytes (a sixth of
     * the stage's time with a rule). The store stays what is committed and restored. This map is emptied whenever the
     * store's parts all go on (a flush) and whenever the stage starts or stops (Streams closes a task's processors
     * before it restores the task's stores again, after an aborted transaction too), so it never holds a part the
     * store does not hold.
     */
    private final Map<Bytes, Contribution> openParts = new HashMap<>();
    /** Whether the stores of the previous layout have been emptied into {@link #states} (they are not read after). */
    private boolean legacyMoved;
    /**
     * The newest timestamp this task has aggregated: a sample of a window whose end plus grace is at or before it is
     * late. The task's marks promise the group stage that it will send no more of such windows, so that they can close.
     */
    private long newest = Long.MIN_VALUE;
    /**
     * The next end plus grace of any rule's window after {@link #newest} at the last flush: a sample that reaches it
     * sends the parts and a mark on at once, so the window closes without waiting for the next flush interval.
     */
    private long nextMarkDue = Long.MIN_VALUE;
    /** This task's oplog partition, which its marks name. */
    private int upstream;
    /** Whether this task's oplog partition is read to its end (see {@link Marks#idle}). */
    private final InputEnd caughtUp;
    /** The offset after the last oplog record this task processed ({@code -1}: none since it started). */
    private long nextOffset = -1;
    /** When (by the wall clock) this task last aggregated a sample. */
    private long lastCountedWallMs;
    /** {@link #newest} in the last mark sent ({@code Long.MIN_VALUE}: none yet). */
    private long markedNewest = Long.MIN_VALUE;
    /** Whether the last mark sent said idle (none sent yet: neither). */
    private Boolean markedIdle;

    /** Whether a processor has read an oplog partition to its end. */
    @FunctionalInterface
    public interface InputEnd {
        /**
         * @param nextOffset the offset after the last record the partition's task processed, {@code -1} when it has
         *     processed none since it started
         */
        boolean readToEnd(int partition, long nextOffset);
    }

    /**
     * The rules a series matches, with its output group key under each, and its hash. Found again for every sample,
     * from the key's bytes ({@link KeyLayout}): a cache of it by key (10,000 keys a task, until 2026-12-07) missed
     * on every sample once a task owned more series than that, and a look-up cost about as much as the bytes' read.
     */
    private record Matched(List<CompiledRule> rules, List<byte[]> groupKeys, long hash) {}

    private static final Matched NONE = new Matched(List.of(), List.of(), 0);

    /**
     * The series keys some rule may match, by their bytes: most series match no rule, and this tells them apart
     * at the cost of a few comparisons.
     */
    private final io.caiman.core.model.KeyAdmission admission;

    /** A stage that keeps only the series' own state: no rules, and no HA replica left out. */
    public SeriesStage(SeriesStates seriesStates) {
        this(seriesStates, List.of(), Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1), null, (partition, next) -> true);
    }

    /**
     * @param caughtUp whether an oplog partition is read to its end by this processor (known, and no lag): a task
     *     whose partition is not is never idle, so that a new owner still waiting for its first records holds the
     *     windows its samples may fall in
     */
    public SeriesStage(SeriesStates seriesStates, List<CompiledRule> rules, Duration replicaTimeout, Duration maxFuture,
            Duration flushInterval, RuleMetrics metrics, InputEnd caughtUp) {
        this.seriesStates = seriesStates;
        this.caughtUp = caughtUp;
        this.rules = rules;
        this.admission = io.caiman.core.model.KeyAdmission.of(rules.stream().map(r -> r.config().match()).toList());
        this.flushMs = flushInterval.toMillis();
        rules.forEach(r -> byId.put(r.id, r));
        this.replicaTimeoutMs = replicaTimeout.toMillis();
        this.maxFutureMs = maxFuture.toMillis();
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], Contribution> context) {
        this.context = context;
        this.states = context.getStateStore(STATE_STORE);
        if (rules.isEmpty()) {
            return;
        }
        this.parts = context.getStateStore(PARTIAL_STORE);
        openParts.clear();
        this.upstream = context.taskId().partition();
        this.lastCountedWallMs = context.currentSystemTimeMs();
        context.schedule(Duration.ofMillis(flushMs), PunctuationType.WALL_CLOCK_TIME, this::flush);
        long every = Math.max(10_000, rules.stream().mapToLong(r -> r.stalenessMs).min().orElse(60_000));
        context.schedule(Duration.ofMillis(every), PunctuationType.STREAM_TIME, this::purge);
    }

    @Override
    public void close() {
        openParts.clear();
    }

    @Override
    public void process(Record<byte[], Sample> record) {
        byte[] key = record.key();
        Sample sample = record.value();
        if (!legacyMoved && !rules.isEmpty()) {
            moveLegacy();
        }
        if (!rules.isEmpty()) {
            context.recordMetadata().ifPresent(m -> nextOffset = m.offset() + 1);
        }
        SeriesState state = stateOf(key);
        // one HA replica per series, for the series' own state (its last value and count, which /metrics serves) as
        // for the rules: two replicas' values taken in turn would make a counter seem to reset at every sample. A
        // sample from the future elects nothing (the rules refuse it; see aggregate)
        boolean counted = sample.getReplica().isEmpty() || replicaTimeoutMs <= 0 || isFuture(record)
                || elected(state, key, sample.getReplica(), sample.getTimestampMs(), record.timestamp());
        if (!counted) { // the series' state is as it was
            if (metrics != null) {
                metrics.replicaDropped();
            }
            return;
        }
        seriesStates.add(state, sample);
        if (!rules.isEmpty()) {
            aggregate(record, state);
        }
        states.put(key, state);
    }

    /** Whether a sample is more than {@code processor.max_future} ahead of when the oplog accepted it. */
    private boolean isFuture(Record<byte[], Sample> record) {
        return maxFutureMs > 0 && record.value().getTimestampMs() > record.timestamp() + maxFutureMs;
    }

    /** The rules' part of a sample: {@code state} (the series' state, after the sample) changes in place. */
    private void aggregate(Record<byte[], Sample> record, SeriesState state) {
        Matched matched = matched(record.key());
        if (matched.rules.isEmpty()) {
            return;
        }
        Sample sample = record.value();
        long ts = sample.getTimestampMs();
        if (isFuture(record)) {
            for (CompiledRule rule : matched.rules) {
                metrics.future(rule);
            }
            metrics.logLimited(log, "future", "a sample of {} is {} ms ahead of when the oplog accepted it (more than "
                    + "processor.max_future); not aggregated", SeriesKey.parse(record.key()), ts - record.timestamp());
            return;
        }
        boolean stale = Numbers.isStaleMarker(sample.getValue());
        if (sample.getKind() == SampleKind.SET_MEMBER) {
            return;
        }
        Map<String, RuleSeriesState> ruleStates = state.getRules();
        boolean counted = false;
        for (int i = 0; i < matched.rules.size(); i++) {
            CompiledRule rule = matched.rules.get(i);
            RuleSeriesState previousState = ruleStates.get(rule.id);
            if (stale) {
                if (rule.countsSeriesInParts() && previousState != null) {
                    // the series ends, but the windows it was counted in are remembered: back in one, it is not new
                    RuleSeriesState ended = copy(previousState);
                    ended.setEnded(true);
                    ruleStates.put(rule.id, ended);
                } else {
                    ruleStates.remove(rule.id);
                }
                continue;
            }
            RuleSeriesState ruleState = previousState;
            if (ruleState != null && (ruleState.getEnded() || ts - ruleState.getLastTimestampMs() > rule.stalenessMs)) {
                ruleState = null; // the series went stale, or a stale marker ended it: it starts afresh
            }
            long slot = rule.dedupMs > 0 ? Math.floorDiv(ts, rule.dedupMs) : Long.MIN_VALUE;
            if (rule.dedupMs > 0 && ruleState != null && slot <= ruleState.getDedupSlot()) {
                metrics.deduplicated(rule);
                continue;
            }
            double value = sample.getValue();
            double increase = Double.NaN;
            long previous = 0;
            RuleSeriesState next;
            if (ruleState == null) {
                next = new RuleSeriesState(ts, Double.NaN, Long.MIN_VALUE, 0L, 0L, 0L, false);
            } else {
                next = copy(ruleState);
            }
            if (sample.getKind() == SampleKind.INCREMENT) {
                increase = value;
                previous = ruleState == null ? 0 : ruleState.getLastTimestampMs();
                next.setLastTimestampMs(Math.max(ts, next.getLastTimestampMs()));
            } else if (ruleState == null) {
                next.setBaseline(value);
            } else if (ts > ruleState.getLastTimestampMs()) {
                double base = ruleState.getBaseline();
                if (!Double.isNaN(base) && !Double.isNaN(value)) {
                    increase = value >= base ? value - base : value;
                    previous = ruleState.getLastTimestampMs();
                }
                next.setBaseline(value);
                next.setLastTimestampMs(ts);
            }
            if (rule.dedupMs > 0) {
                next.setDedupSlot(slot);
            }
            // the oplog's newest append time of the series: the purge goes by it
            // (kept from the state before when the series starts afresh: its counted windows are kept too)
            next.setSeenMs(Math.max(Math.max(next.getSeenMs(), previousState == null ? 0 : previousState.getSeenMs()),
                    record.timestamp()));
            long windowStart = Math.floorDiv(ts, rule.intervalMs) * rule.intervalMs;
            long closeAt = windowStart + rule.intervalMs + rule.graceMs;
            boolean late = closeAt <= newest;
            // by the windows counted before, even across a restart after staleness_interval
            boolean newInWindow = rule.countsSeriesInParts() && countWindow(rule, previousState, next, ts);
            ruleStates.put(rule.id, next);
            metrics.aggregated(rule);
            if (late) {
                late(rule, record.key(), ts, windowStart);
                continue;
            }
            // the series' first sample in this window (or one out of order from another window): state is as it was
            boolean firstInWindow = ruleState == null || Math.floorDiv(ruleState.getLastTimestampMs(), rule.intervalMs)
                    != Math.floorDiv(ts, rule.intervalMs);
            addToParts(rule, matched.groupKeys.get(i), windowStart, closeAt, matched.hash, firstInWindow, newInWindow,
                    new Contribution(windowStart, ts, value, matched.hash, increase, previous, null, null));
            counted = true;
        }
        if (counted) {
            lastCountedWallMs = context.currentSystemTimeMs();
        }
        if (counted && ts > newest) {
            newest = ts;
            if (newest >= nextMarkDue) {
                // a window's end plus grace reached: the parts and the mark go on now, so that the window need not
                // wait for the next flush interval
                flush(lastCountedWallMs);
            }
        }
    }

    /**
     * Adds one sample ({@code c}) to its window's part under the group, and the series to the part's series count
     * when it is new in the window ({@code newInWindow}). For a rule with rates, the sample also goes on at once as
     * its series' part of the window, and for one that counts series with a grace too long to count them here, its
     * first sample in the window does: a series brings one sample a scrape, far fewer than a commit interval's worth,
     * so a stored series part would cost a write per sample and save none. Only marks close windows downstream.
     */
    private void addToParts(CompiledRule rule, byte[] groupKey, long windowStart, long closeAt, long seriesHash,
            boolean firstInWindow, boolean newInWindow, Contribution c) {
        byte[] key = WindowStage.windowKey(closeAt, windowStart, groupKey);
        Bytes open = Bytes.wrap(key);
        Contribution part = openParts.get(open);
        if (part == null) {
            part = parts.get(key); // restored, or not touched since the task started
        }
        WindowState window = WindowMath.add(part == null ? WindowMath.empty(rule) : part.getWindow(), c, rule);
        if (newInWindow) {
            window.setSeriesCount(window.getSeriesCount() + 1);
        }
        long newestTs = part == null ? c.getTimestampMs() : Math.max(part.getTimestampMs(), c.getTimestampMs());
        Contribution next = new Contribution(windowStart, newestTs, Double.NaN, 0L, Double.NaN, 0L, window, null);
        parts.put(key, next);
        openParts.put(open, next);
        // count_series needs only that the series was there (counted above when the rule keeps count itself); else
        // its first sample in a window says so (a repeat, for a sample out of order, merges into the same presence);
        // the rates need every increase
        if (rule.rates() || (rule.perSeries() && !rule.countsSeriesInParts() && firstInWindow)) {
            context.forward(new Record<>(groupKey, new Contribution(windowStart, c.getTimestampMs(), Double.NaN, seriesHash,
                    Double.NaN, 0L, null, WindowMath.addSeries(null, c)), windowStart));
        }
    }

    private static RuleSeriesState copy(RuleSeriesState s) {
        return new RuleSeriesState(s.getLastTimestampMs(), s.getBaseline(), s.getDedupSlot(), s.getSeenMs(),
                s.getWindows(), s.getCountedWindow(), s.getEnded());
    }

    /**
     * Marks the sample's window counted in {@code next}, and says whether the series is new in it. {@code before} is
     * the series' rule state before the sample, as stored ({@code null}: none): what it counted is kept when the
     * series starts afresh after a stale marker or its staleness interval. See {@code RuleSeriesState.windows}. A
     * late sample's window is marked too: it is closed, so every later sample of it is late as well, and none is
     * counted.
     */
    private static boolean countWindow(CompiledRule rule, RuleSeriesState before, RuleSeriesState next, long ts) {
        long window = Math.floorDiv(ts, rule.intervalMs);
        long newest = window;
        long bits = COUNTED_MARK;
        if (before != null && before.getWindows() == 0) { // written before the field: its newest window was counted
            newest = Math.floorDiv(before.getLastTimestampMs(), rule.intervalMs);
            bits = COUNTED_MARK | 1;
        } else if (before != null) {
            newest = before.getCountedWindow();
            bits = before.getWindows();
        }
        if (window > newest) {
            long shift = window - newest;
            bits = shift >= 63 ? COUNTED_MARK : ((bits & ~COUNTED_MARK) << shift) & ~COUNTED_MARK | COUNTED_MARK;
            newest = window;
        }
        long back = newest - window;
        boolean isNew = false;
        // further back than 62 windows: its end plus grace is before a sample the series already brought (the grace is
        // under 62 intervals), so it is late by the series' own clock, and not counted again
        if (back < 63) {
            isNew = (bits & (1L << back)) == 0;
            bits |= 1L << back;
        }
        next.setWindows(bits);
        next.setCountedWindow(newest);
        return isNew;
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
     * up, in the order their windows close (the store's key order); then this task's mark, to every partition of the
     * group stage (see {@link Marks}), when it says something new: a sample time past the end plus grace of a window
     * the last mark was short of, or that the task went idle (it aggregated nothing for a flush interval and has read
     * its partition to the end) or is busy again.
     */
    private void flush(long wallNow) {
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
        openParts.clear();
        boolean idle = wallNow - lastCountedWallMs >= flushMs && caughtUp.readToEnd(upstream, nextOffset);
        // a mark that crosses no window's end plus grace closes nothing more than the last one did: not sent
        if (newest > markedNewest && newest >= nextClose(markedNewest) || !Boolean.valueOf(idle).equals(markedIdle)) {
            // a record time can not be negative; the mark's own time is in its value
            context.forward(new Record<>(Marks.key(upstream, idle), Marks.value(newest), Math.max(0, newest)));
            markedNewest = newest;
            markedIdle = idle;
        }
        nextMarkDue = nextClose(newest);
    }

    /** The first end plus grace of any rule's window after {@code ts}. */
    private long nextClose(long ts) {
        if (ts == Long.MIN_VALUE) {
            return Long.MIN_VALUE;
        }
        long next = Long.MAX_VALUE;
        for (CompiledRule rule : rules) {
            next = Math.min(next, (Math.floorDiv(ts - rule.graceMs, rule.intervalMs) + 1) * rule.intervalMs + rule.graceMs);
        }
        return next;
    }

    private Matched matched(byte[] key) {
        if (!admission.admits(key)) {
            return NONE;
        }
        List<CompiledRule> hits = null;
        List<byte[]> groups = null;
        boolean read = layout.read(key); // nearly every key: its bytes are enough, no parse
        SeriesKey series = read ? null : SeriesKey.parse(key);
        for (CompiledRule rule : rules) {
            if (read ? rule.matches(layout) : rule.matches(series)) {
                if (hits == null) {
                    hits = new ArrayList<>(rules.size());
                    groups = new ArrayList<>(rules.size());
                }
                hits.add(rule);
                groups.add(read ? rule.groupKey(layout) : rule.key(rule.group(series).bytes()));
            }
        }
        return hits == null ? NONE : new Matched(hits, groups, MurmurHash3.hash(key, 0x5eed)[0]);
    }

    /**
     * Whether the sample of {@code replica} at {@code ts} is from the series' elected replica (electing it if due, in
     * {@code state}).
     */
    private boolean elected(SeriesState state, byte[] key, String replica, long ts, long seen) {
        ReplicaState current = state.getReplica();
        if (current == null || current.getElected().equals(replica)) {
            long newestTs = current == null ? ts : Math.max(ts, current.getLastTimestampMs());
            state.setReplica(new ReplicaState(replica, newestTs, seen));
            return true;
        }
        if (ts - current.getLastTimestampMs() > replicaTimeoutMs) {
            state.setReplica(new ReplicaState(replica, ts, seen));
            if (metrics == null) {
                return true;
            }
            metrics.replicaFailover();
            metrics.logLimited(log, "failover", "series {} switched from HA replica {} to {}: the elected one sent "
                    + "nothing for {} ms", SeriesKey.parse(key), current.getElected(), replica, ts - current.getLastTimestampMs());
            return true;
        }
        return false;
    }

    /**
     * Drops the rule states that can go (see {@link #gone}) and those of rules no longer configured, and elected
     * replicas unseen for long, so the state stays bounded. The series' own state stays.
     */
    private void purge(long streamTime) {
        long keepReplicas = Math.max(replicaTimeoutMs, rules.stream().mapToLong(r -> r.stalenessMs).max().orElse(0)) * 2;
        List<KeyValue<byte[], SeriesState>> changed = new ArrayList<>();
        try (KeyValueIterator<byte[], SeriesState> all = states.all()) {
            while (all.hasNext()) {
                KeyValue<byte[], SeriesState> kv = all.next();
                SeriesState state = kv.value;
                boolean dropped = state.getRules().entrySet().removeIf(e -> {
                    CompiledRule rule = byId.get(e.getKey());
                    return rule == null || gone(rule, e.getValue(), streamTime);
                });
                if (state.getReplica() != null && streamTime - state.getReplica().getSeenMs() > keepReplicas) {
                    state.setReplica(null);
                    dropped = true;
                }
                if (dropped) {
                    changed.add(kv);
                }
            }
        }
        changed.forEach(kv -> states.put(kv.key, kv.value));
    }

    /**
     * Whether a series' rule state can go: the oplog has not brought the series for the staleness interval (by its
     * append time), and this task's samples have gone past the series' newest by more than the staleness interval,
     * the rule's interval and its grace (by sample time). Any sample of the series that is not late is then stale
     * by its own time as well, so it would start afresh with or without the state, and no window the series was
     * counted in can take it: dropping the state changes no aggregate. A backfill of old samples keeps its baselines
     * while it runs, and one series with a clock ahead does not drop the others' states: it moves only one clock.
     */
    private boolean gone(CompiledRule rule, RuleSeriesState state, long streamTime) {
        return streamTime - state.getSeenMs() > rule.stalenessMs && newest != Long.MIN_VALUE
                && newest - state.getLastTimestampMs() > rule.stalenessMs + rule.intervalMs + rule.graceMs
                // and the newest window the series was counted in has closed: a sample out of order after a stale
                // marker starts the series afresh with an older time than the windows it was counted in
                && (state.getWindows() == 0
                        || (state.getCountedWindow() + 1) * rule.intervalMs + rule.graceMs <= newest);
    }

    /**
     * Moves what the stores of the previous layout hold into {@link #states}: rule states into their series'
     * {@code rules}, elected replicas into {@code replica}. An entry already in {@link #states} wins (it is newer).
     * Runs once per task, in the transaction of the first sample it aggregates.
     */
    private void moveLegacy() {
        legacyMoved = true;
        KeyValueStore<byte[], RuleSeriesState> oldRules = context.getStateStore(LEGACY_RULE_STORE);
        KeyValueStore<byte[], ReplicaState> oldReplicas = context.getStateStore(LEGACY_REPLICA_STORE);
        int moved = 0;
        List<byte[]> done = new ArrayList<>();
        try (KeyValueIterator<byte[], RuleSeriesState> all = oldRules.all()) {
            while (all.hasNext()) {
                KeyValue<byte[], RuleSeriesState> kv = all.next();
                String ruleId = CompiledRule.idOf(kv.key);
                if (ruleId != null) {
                    byte[] series = CompiledRule.rest(kv.key, 0);
                    SeriesState state = stateOf(series);
                    state.getRules().putIfAbsent(ruleId, kv.value);
                    states.put(series, state);
                    moved++;
                }
                done.add(kv.key);
            }
        }
        done.forEach(oldRules::delete);
        done.clear();
        try (KeyValueIterator<byte[], ReplicaState> all = oldReplicas.all()) {
            while (all.hasNext()) {
                KeyValue<byte[], ReplicaState> kv = all.next();
                SeriesState state = stateOf(kv.key);
                if (state.getReplica() == null) {
                    state.setReplica(kv.value);
                }
                states.put(kv.key, state);
                done.add(kv.key);
                moved++;
            }
        }
        done.forEach(oldReplicas::delete);
        if (moved > 0) {
            log.info("task {}: moved {} rule states and elected replicas from the stores {} and {} into {}",
                    context.taskId(), moved, LEGACY_RULE_STORE, LEGACY_REPLICA_STORE, STATE_STORE);
        }
    }

    private SeriesState stateOf(byte[] series) {
        SeriesState state = states.get(series);
        return state == null ? SeriesStates.empty() : state;
    }
}
