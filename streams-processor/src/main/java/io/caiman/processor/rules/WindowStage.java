package io.caiman.processor.rules;

import io.caiman.core.model.SeriesKey;
import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.state.Contribution;
import io.caiman.schemas.state.GroupTotal;
import io.caiman.schemas.state.WindowSeries;
import io.caiman.schemas.state.WindowState;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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
 * The per-group half of stream aggregation, after the repartition by output group. It takes the parts of windows
 * that the per-series stage's tasks added up (see {@link SeriesStage}) and merges them into each open window of
 * each group (store {@code rule-windows}, keyed so that RocksDB orders windows by when they close; the series'
 * parts in {@code rule-window-series}) and closes a window once every per-series task has marked the window's end
 * plus the rule's grace (see {@link Marks}): the close bound is the oldest mark of the tasks that are not idle, or,
 * when all are, the newest mark. A task that is behind (killed and not yet taken over, restoring, reading a backlog)
 * so holds the windows open, and its parts never come late. When the partition has received nothing for
 * {@code processor.idle_close}, due windows close by the wall clock. A closed window's outputs go downstream (to
 * {@code <cluster>.aggregates}) and into the store {@code aggregate-latest}, served on {@code /metrics}.
 *
 * <p>A window closes once: the newest close bound is kept in the store {@code rule-window-marks}, and a sample
 * of a window at or before it is late (counted, logged at a limited rate, not aggregated). Everything here is
 * state in Kafka Streams stores, committed with the input offsets and the output records in one transaction
 * (exactly_once_v2), so a crash neither loses nor repeats a window.
 */
public final class WindowStage implements Processor<byte[], Contribution, byte[], Aggregate> {

    public static final String WINDOW_STORE = "rule-windows";
    public static final String WINDOW_SERIES_STORE = "rule-window-series";
    public static final String TOTAL_STORE = "rule-totals";
    public static final String LATEST_STORE = "aggregate-latest";
    public static final String MARK_STORE = "rule-window-marks";

    private static final Logger log = LoggerFactory.getLogger(WindowStage.class);
    private static final byte[] CLOSED_MARK = {'c'};
    /** Keys in {@link #MARK_STORE}: a per-series task's newest mark, and whether it said idle (1) or not (0). */
    private static final byte NEWEST = 'n';
    private static final byte IDLE = 'i';

    private final Map<String, CompiledRule> rules = new HashMap<>();
    private final long idleCloseMs;
    private final RuleMetrics metrics;
    /** The per-series tasks (the oplog's partitions) whose marks this stage waits for. */
    private final int upstreams;
    /** Per per-series task: its newest mark, whether that said idle, and whether one came at all. */
    private final long[] marked;
    private final boolean[] idle;
    private final boolean[] heard;
    private ProcessorContext<byte[], Aggregate> context;
    private KeyValueStore<byte[], WindowState> windows;
    private KeyValueStore<byte[], WindowSeries> windowSeries;
    private KeyValueStore<byte[], GroupTotal> totals;
    private KeyValueStore<byte[], Aggregate> latest;
    private KeyValueStore<byte[], Long> marks;
    /** The earliest close time of an open window (Long.MAX_VALUE: none): below it, nothing needs a scan. */
    private long nextDue = Long.MAX_VALUE;
    private long closedUpTo = Long.MIN_VALUE;
    private long lastArrivalWallMs;
    /** The longest interval plus grace of the rules: a wait beyond it is logged. */
    private final long longestWindowMs;

    /** @param upstreams the number of per-series tasks, the oplog's partitions: a window waits for the marks of all */
    public WindowStage(List<CompiledRule> rules, Duration idleClose, RuleMetrics metrics, int upstreams) {
        rules.forEach(r -> this.rules.put(r.id, r));
        this.idleCloseMs = idleClose.toMillis();
        this.metrics = metrics;
        this.upstreams = upstreams;
        this.longestWindowMs = rules.stream().mapToLong(r -> r.intervalMs + r.graceMs).max().orElse(0);
        this.marked = new long[upstreams];
        this.idle = new boolean[upstreams];
        this.heard = new boolean[upstreams];
    }

    @Override
    public void init(ProcessorContext<byte[], Aggregate> context) {
        this.context = context;
        this.windows = context.getStateStore(WINDOW_STORE);
        this.windowSeries = context.getStateStore(WINDOW_SERIES_STORE);
        this.totals = context.getStateStore(TOTAL_STORE);
        this.latest = context.getStateStore(LATEST_STORE);
        this.marks = context.getStateStore(MARK_STORE);
        Long mark = marks.get(CLOSED_MARK);
        closedUpTo = mark == null ? Long.MIN_VALUE : mark;
        for (int u = 0; u < upstreams; u++) {
            Long newest = marks.get(markKey(NEWEST, u));
            Long wasIdle = marks.get(markKey(IDLE, u));
            heard[u] = newest != null;
            marked[u] = newest == null ? Long.MIN_VALUE : newest;
            idle[u] = wasIdle != null && wasIdle == 1;
        }
        nextDue = firstDue();
        lastArrivalWallMs = context.currentSystemTimeMs();
        context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::idleClose);
        context.schedule(Duration.ofSeconds(10), PunctuationType.WALL_CLOCK_TIME, this::purgeLatest);
    }

    @Override
    public void process(Record<byte[], Contribution> record) {
        lastArrivalWallMs = context.currentSystemTimeMs();
        byte[] groupKey = record.key();
        if (Marks.isMark(groupKey)) {
            mark(Marks.upstreamOf(groupKey), record.value().getTimestampMs(), Marks.idle(groupKey));
            return;
        }
        CompiledRule rule = rules.get(CompiledRule.idOf(groupKey));
        Contribution c = record.value();
        if (rule == null) {
            // written before a restart that removed the rule: nothing aggregates it any more
            metrics.logLimited(log, "unknown-rule", "a sample for rule id {} reached a processor without that rule; "
                    + "it is left out (the rule was removed or changed)", CompiledRule.idOf(groupKey));
            return;
        }
        long closeAt = c.getWindowStartMs() + rule.intervalMs + rule.graceMs;
        // a window's part (many samples), a series' part (no samples of its own), or one sample written before parts
        long samples = c.getWindow() != null ? c.getWindow().getCount() : c.getSeries() != null ? 0 : 1;
        if (closeAt <= closedUpTo) {
            if (samples > 0) {
                metrics.late(rule, samples);
                metrics.logLimited(log, "late-" + rule.id, "rule {}: {} sample(s) of {} up to {} came after their window "
                        + "[{}, {}) closed (grace {} ms); they are counted in caiman_processor_rule_late_samples_total, "
                        + "not aggregated", rule.name(), samples, SeriesKey.parse(CompiledRule.rest(groupKey, 0)),
                        c.getTimestampMs(), c.getWindowStartMs(), c.getWindowStartMs() + rule.intervalMs, rule.graceMs);
            }
            return;
        }
        byte[] windowKey = windowKey(closeAt, c.getWindowStartMs(), groupKey);
        WindowState stored = windows.get(windowKey);
        WindowState state = stored == null ? WindowMath.empty(rule) : stored;
        if (stored == null) {
            nextDue = Math.min(nextDue, closeAt);
        }
        if (c.getSeries() == null) {
            windows.put(windowKey, c.getWindow() != null ? WindowMath.merge(state, c.getWindow(), rule)
                    : WindowMath.add(state, c, rule));
        } else if (stored == null) {
            // a series' part comes before its window's part; the window is kept, so the series' part closes with it
            windows.put(windowKey, state);
        }
        if (rule.perSeries() && c.getWindow() == null) {
            byte[] seriesKey = ByteBuffer.allocate(windowKey.length + 8).put(windowKey).putLong(c.getSeriesHash()).array();
            WindowSeries previous = windowSeries.get(seriesKey);
            windowSeries.put(seriesKey, c.getSeries() != null ? WindowMath.mergeSeries(previous, c.getSeries())
                    : WindowMath.addSeries(previous, c));
        }
    }

    /** A per-series task's mark: it moves the close bound when it was the oldest, or when it went idle. */
    private void mark(int upstream, long newest, boolean isIdle) {
        if (upstream < 0 || upstream >= upstreams) {
            metrics.logLimited(log, "mark-upstream", "a mark from oplog partition {} reached a processor that knows of "
                    + "{} partitions; it is left out (is the cluster's partitions setting the oplog's?)", upstream, upstreams);
            return;
        }
        if (!heard[upstream] || newest > marked[upstream]) {
            marked[upstream] = Math.max(marked[upstream], newest);
            marks.put(markKey(NEWEST, upstream), marked[upstream]);
        }
        if (!heard[upstream] || idle[upstream] != isIdle) {
            idle[upstream] = isIdle;
            marks.put(markKey(IDLE, upstream), isIdle ? 1L : 0L);
        }
        heard[upstream] = true;
        long bound = bound();
        if (bound > closedUpTo) {
            closeDue(bound, "stream");
        }
        if (bound != Long.MIN_VALUE) {
            long ahead = Long.MIN_VALUE;
            int slowest = -1;
            for (int u = 0; u < upstreams; u++) {
                ahead = Math.max(ahead, marked[u]);
                if (!idle[u] && marked[u] == bound) {
                    slowest = u;
                }
            }
            long wait = ahead - bound;
            metrics.closeWait(context.taskId().toString(), wait);
            if (slowest >= 0 && wait > longestWindowMs) {
                metrics.logLimited(log, "close-wait", "windows wait for oplog partition {}: its samples are {} s behind "
                        + "the newest partition's (its task is behind, restoring, or waiting for a new owner after its "
                        + "processor stopped); they close, complete, once it catches up", slowest, wait / 1000);
            }
        }
    }

    @Override
    public void close() {
        metrics.closeWaitGone(context.taskId().toString());
    }

    /**
     * How far every per-series task has marked: the oldest mark of those not idle; when all are idle, the newest
     * mark (no task has more to send, and none has a sample past it); {@code Long.MIN_VALUE} until each has marked.
     */
    private long bound() {
        long oldestBusy = Long.MAX_VALUE;
        long newest = Long.MIN_VALUE;
        for (int u = 0; u < upstreams; u++) {
            if (!heard[u]) {
                return Long.MIN_VALUE;
            }
            newest = Math.max(newest, marked[u]);
            if (!idle[u]) {
                oldestBusy = Math.min(oldestBusy, marked[u]);
            }
        }
        return Math.min(oldestBusy, newest);
    }

    private static byte[] markKey(byte kind, int upstream) {
        return ByteBuffer.allocate(5).put(kind).putInt(upstream).array();
    }

    /** Closes every window due at {@code bound}: its close time is at or before it. */
    private void closeDue(long bound, String how) {
        if (nextDue > bound) {
            return;
        }
        List<KeyValue<byte[], WindowState>> due = new ArrayList<>();
        try (KeyValueIterator<byte[], WindowState> it = windows.range(new byte[0], ordered(bound + 1))) {
            while (it.hasNext()) {
                due.add(it.next());
            }
        }
        for (KeyValue<byte[], WindowState> kv : due) {
            close(kv.key, kv.value, how);
        }
        closedUpTo = Math.max(closedUpTo, bound);
        marks.put(CLOSED_MARK, closedUpTo);
        nextDue = firstDue();
    }

    private void close(byte[] windowKey, WindowState state, String how) {
        windows.delete(windowKey);
        List<WindowSeries> series = new ArrayList<>();
        List<byte[]> seriesKeys = new ArrayList<>();
        try (KeyValueIterator<byte[], WindowSeries> it = windowSeries.prefixScan(windowKey, new ByteArraySerializer())) {
            while (it.hasNext()) {
                KeyValue<byte[], WindowSeries> kv = it.next();
                if (kv.key.length == windowKey.length + 8) { // not a longer window key that shares the prefix
                    series.add(kv.value);
                    seriesKeys.add(kv.key);
                }
            }
        }
        seriesKeys.forEach(windowSeries::delete);
        byte[] groupKey = groupOf(windowKey);
        CompiledRule rule = rules.get(CompiledRule.idOf(groupKey));
        if (rule == null) {
            return;
        }
        long windowStart = startOf(windowKey);
        long windowEnd = windowStart + rule.intervalMs;
        double total = Double.NaN;
        if (rule.outputs.contains("total")) {
            GroupTotal previous = totals.get(groupKey);
            double base = previous == null || windowStart - previous.getLastWindowEndMs() > rule.stalenessMs
                    ? 0 : previous.getTotal();
            total = base + state.getIncrease();
            totals.put(groupKey, GroupTotal.newBuilder().setTotal(total).setLastWindowEndMs(windowEnd).build());
        }
        SeriesKey group = SeriesKey.parse(CompiledRule.rest(groupKey, 0));
        for (WindowMath.Output o : WindowMath.outputs(rule, state, series, total)) {
            SeriesKey output = SeriesKey.of(group.tenant(), rule.outputName(group.name(), o.name()), group.labels());
            Aggregate aggregate = Aggregate.newBuilder().setWindowStartMs(windowStart).setWindowEndMs(windowEnd)
                    .setTenant(group.tenant()).setSeries(output.toString()).setValue(o.value())
                    .setValues(new java.util.LinkedHashMap<>(o.values())).setSampleCount(state.getCount()).build();
            byte[] outputKey = output.bytes();
            context.forward(new Record<>(outputKey, aggregate, windowStart));
            latest.put(rule.key(outputKey), aggregate);
        }
        metrics.windowClosed(rule, how.equals("stream"));
    }

    /** Closes due windows by the wall clock on a partition that has been quiet for {@code idle_close}. */
    private void idleClose(long wallNow) {
        if (wallNow - lastArrivalWallMs >= idleCloseMs) {
            closeDue(wallNow, "idle");
        }
    }

    /** Takes the outputs of groups with no window for their rule's staleness interval off {@code /metrics}. */
    private void purgeLatest(long wallNow) {
        long now = Math.max(wallNow, closedUpTo);
        StoreSweep.deleteWhere(latest, (key, a) -> gone(key, a.getWindowEndMs(), now));
        StoreSweep.deleteWhere(totals, (key, t) -> gone(key, t.getLastWindowEndMs(), now));
    }

    /** Whether a group's last window ended longer ago than its rule's staleness (or its rule is gone). */
    private boolean gone(byte[] key, long lastWindowEndMs, long now) {
        CompiledRule rule = rules.get(CompiledRule.idOf(key));
        return rule == null || now - lastWindowEndMs > rule.stalenessMs + rule.graceMs + rule.intervalMs;
    }

    private long firstDue() {
        return firstCloseIn(windows);
    }

    /** The earliest close time in a store keyed by {@link #windowKey} ({@code Long.MAX_VALUE}: the store is empty). */
    static long firstCloseIn(KeyValueStore<byte[], ?> store) {
        try (KeyValueIterator<byte[], ?> it = store.all()) {
            return it.hasNext() ? closeOf(it.next().key) : Long.MAX_VALUE;
        }
    }

    /** The close time in a key of {@link #windowKey}. */
    static long closeOf(byte[] windowKey) {
        return ByteBuffer.wrap(windowKey, 0, 8).getLong() ^ Long.MIN_VALUE;
    }

    /** The window's start in a key of {@link #windowKey}. */
    static long startOf(byte[] windowKey) {
        return ByteBuffer.wrap(windowKey, 8, 8).getLong() ^ Long.MIN_VALUE;
    }

    /** The group key in a key of {@link #windowKey}. */
    static byte[] groupOf(byte[] windowKey) {
        return java.util.Arrays.copyOfRange(windowKey, 16, windowKey.length);
    }

    /** The key of a window: its close time and start (sign-flipped, so bytes order like the numbers), then the group. */
    static byte[] windowKey(long closeAt, long windowStart, byte[] groupKey) {
        return ByteBuffer.allocate(16 + groupKey.length).putLong(closeAt ^ Long.MIN_VALUE)
                .putLong(windowStart ^ Long.MIN_VALUE).put(groupKey).array();
    }

    private static byte[] ordered(long time) {
        return ByteBuffer.allocate(8).putLong(time ^ Long.MIN_VALUE).array();
    }
}
