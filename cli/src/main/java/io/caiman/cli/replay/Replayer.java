package io.caiman.cli.replay;

import io.caiman.core.model.SeriesKey;
import io.caiman.core.model.SeriesSelector;
import io.caiman.error.CaimanException;
import io.caiman.schemas.codec.CodecException;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Replays a range of the oplog into a sink: exactly the records of the range, each once, in oplog order per
 * partition.
 *
 * <p>The range is resolved to offsets once, when the replay starts: a start time with
 * {@code offsetsForTimes} (the time index, not a scan), an end of {@code latest} as each partition's end at
 * that moment, so a replay always finishes. Records are then read with {@code read_committed}, so aborted
 * transactions never appear. By append time, a record is in the range when the oplog accepted it within
 * [from, to); by sample time, when the sample's own timestamp is, which needs every partition read whole
 * (a backfilled sample may have been accepted at any time).
 *
 * <p>The sink is flushed every {@code flushInterval} and at the end, and only after a flush is the
 * checkpoint written, so a resumed replay starts after the last record the sink has delivered.
 */
public final class Replayer {

    /** Which clock a time range refers to. */
    public enum By {
        /** When the oplog accepted the record (the record timestamp; the oplog uses LogAppendTime). */
        APPEND_TIME,
        /** The sample's own timestamp. */
        SAMPLE_TIME
    }

    /** What to do with a record that cannot be read. */
    public enum OnBadRecord {
        /** Stop, after delivering and checkpointing everything before it. */
        FAIL,
        /** Count it and go on. */
        SKIP,
        /** Print a line naming it, count it, and go on. */
        LOG
    }

    /**
     * What to replay.
     *
     * @param partitions the partitions to read, or null for all
     * @param match series selectors, any of which selects a series; empty for every series
     * @param tenant the only tenant to replay, or null for all
     * @param samplesPerSecond the most samples written per second, or 0 for no limit
     * @param checkpoint the checkpoint file, or null
     * @param description the options as the user gave them, stored in the checkpoint and compared on resume
     * @param kafkaTimeout how long to wait for the oplog's cluster to answer before failing, saying so
     */
    public record Options(String topic, Bound from, Bound to, By by, Set<Integer> partitions, List<SeriesSelector> match,
            String tenant, OnBadRecord onBadRecord, double samplesPerSecond, Path checkpoint, Duration flushInterval,
            String description, Duration kafkaTimeout) {}

    /**
     * What a replay did.
     *
     * @param read records read from the oplog within the offset ranges
     * @param written records the sink took
     * @param filtered records outside the time range or not selected by {@code --match} / {@code --tenant}
     * @param notExpressible records the sink could not express (StatsD increments, deltas, set members)
     * @param bad unreadable records skipped
     * @param complete whether every partition was read to its end
     */
    public record Summary(long read, long written, long filtered, long notExpressible, long bad, long bytes,
            Duration took, boolean complete, boolean resumed) {}

    private final Consumer<byte[], byte[]> consumer;
    private final ReplaySink sink;
    /** Whether values are decoded (the sink reads them, or sample times are the range) or only checked. */
    private final boolean decode;
    /** Whether keys are parsed (the sink reads them, or a filter does) or only checked. */
    private final boolean parseKeys;
    private final Options options;
    private final Progress progress;
    private final PrintStream log;
    private final BooleanSupplier stopRequested;

    private final Map<Integer, Progress.Partition> state = new TreeMap<>();
    private final KeyCache keys = new KeyCache(100_000);
    private long fromMs = Long.MIN_VALUE;
    private long toMs = Long.MAX_VALUE;
    private long read;
    private long written;
    private long filtered;
    private long notExpressible;
    private long bad;
    private long bytes;

    /**
     * @param consumer a consumer of the oplog's cluster with {@code read_committed} and no group (see
     *     {@code KafkaClients.reader}); the replayer assigns and seeks it, and does not close it
     * @param log where bad records are named (standard error)
     * @param stopRequested polled between records: true stops the replay cleanly (flushed and checkpointed)
     */
    public Replayer(Consumer<byte[], byte[]> consumer, ReplaySink sink, Options options, Progress progress,
            PrintStream log, BooleanSupplier stopRequested) {
        this.consumer = consumer;
        this.sink = sink;
        this.decode = sink.decodes() || options.by() == By.SAMPLE_TIME;
        this.parseKeys = sink.decodes() || options.tenant() != null || !options.match().isEmpty();
        this.options = options;
        this.progress = progress;
        this.log = log;
        this.stopRequested = stopRequested;
    }

    /**
     * Resolves the range (or reads it from the checkpoint), then replays it.
     *
     * @throws CaimanException if the oplog cannot be reached or read, a checkpoint belongs to another replay,
     *     or (with {@link OnBadRecord#FAIL}) a record is unreadable
     * @throws IOException if the sink fails
     */
    public Summary run() throws IOException {
        long started = System.nanoTime();
        Checkpoint resume = checkpointOf(options);
        if (resume != null) {
            fromMs = resume.fromMs();
            toMs = resume.toMs();
            resume.ranges().forEach((p, r) -> state.put(p, new Progress.Partition(p, r[0], r[1], resume.next().get(p))));
        } else {
            resolve();
            checkpoint();
        }
        List<TopicPartition> active = new ArrayList<>();
        state.values().stream().filter(p -> !p.done())
                .forEach(p -> active.add(new TopicPartition(options.topic(), p.partition)));
        consumer.assign(active);
        for (TopicPartition tp : active) {
            consumer.seek(tp, state.get(tp.partition()).next);
        }
        Handler handler = new Handler(started);
        Thread handlerThread = new Thread(handler, "caiman-replay-sink");
        handlerThread.setDaemon(true);
        handlerThread.start();
        boolean stopped = false;
        CaimanException readFailure = null;
        try {
            while (!active.isEmpty() && !handler.done) {
                if (stopRequested.getAsBoolean()) {
                    stopped = true;
                    break;
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                // a partition whose position passed its end (compacted records, transaction markers) is done once
                // the handler has taken the records before that position
                long[] positions = new long[active.size() * 2];
                int i = 0;
                for (var it = active.iterator(); it.hasNext(); ) {
                    TopicPartition tp = it.next();
                    long position = consumer.position(tp);
                    positions[i++] = tp.partition();
                    positions[i++] = position;
                    if (position >= state.get(tp.partition()).end) {
                        it.remove();
                    }
                }
                if (active.size() < consumer.assignment().size()) {
                    consumer.assign(active);
                }
                handler.queue.put(new Batch(records, positions));
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            readFailure = new CaimanException("reading " + options.topic() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        } finally {
            handler.finish(handlerThread);
        }
        // the handler has ended: its state, counters and sink are this thread's again
        stopped |= handler.stopped;
        if (handler.failure instanceof BadRecordException e) {
            flushAndCheckpoint();
            progress.update(state.values(), elapsedMs(started), true);
            throw e;
        }
        if (handler.failure instanceof IOException e) {
            throw e;
        }
        if (handler.failure instanceof RuntimeException e) {
            throw e;
        }
        if (handler.failure instanceof Error e) {
            throw e;
        }
        flushAndCheckpoint();
        if (readFailure != null) {
            throw readFailure;
        }
        progress.update(state.values(), elapsedMs(started), true);
        return new Summary(read, written, filtered, notExpressible, bad, bytes, Duration.ofNanos(System.nanoTime() - started),
                !stopped && state.values().stream().allMatch(Progress.Partition::done), resume != null);
    }

    /**
     * One poll's records, and each polled partition's position after it ({@code [partition, position, …]}).
     */
    private record Batch(ConsumerRecords<byte[], byte[]> records, long[] positions) {}

    private static final Batch END = new Batch(ConsumerRecords.empty(), new long[0]);

    /**
     * The second stage of the replay: checks, filters and writes the polled records, in poll order, on its own
     * thread, while the replay's thread polls the next ones. Checking a record costs about half as much as
     * reading it, so with the two on separate cores a replay runs at about 0.9 of a plain consumer's speed,
     * where one thread doing both ran at about 0.6 (bench/RESULTS.md). It owns the partitions' state, the counters and the sink
     * from its start until {@link #finish}; a bounded queue holds the consumer back when the sink is slower.
     */
    private final class Handler implements Runnable {
        final java.util.concurrent.BlockingQueue<Batch> queue = new java.util.concurrent.ArrayBlockingQueue<>(4);
        private final long startedNanos;
        private final Limiter limiter = new Limiter(options.samplesPerSecond());
        private long lastFlush = System.nanoTime();
        /** Set once the handler takes no more records: it failed, or a stop was asked for. */
        volatile boolean done;
        volatile boolean stopped;
        volatile Throwable failure;

        Handler(long startedNanos) {
            this.startedNanos = startedNanos;
        }

        @Override
        public void run() {
            while (true) {
                Batch batch;
                try {
                    batch = queue.take();
                } catch (InterruptedException e) {
                    if (!done) {
                        failure = new java.io.InterruptedIOException("interrupted while replaying");
                        done = true;
                    }
                    continue; // still drain until END, so the poller never waits on a full queue
                }
                if (batch == END) {
                    return;
                }
                if (done) {
                    continue; // failed or stopped: drain, so the poller never waits on a full queue
                }
                try {
                    handle(batch);
                } catch (Throwable t) {
                    failure = t;
                    done = true;
                }
            }
        }

        private void handle(Batch batch) throws IOException {
            ConsumerRecords<byte[], byte[]> records = batch.records();
            for (TopicPartition tp : records.partitions()) {
                Progress.Partition p = state.get(tp.partition());
                for (ConsumerRecord<byte[], byte[]> record : records.records(tp)) {
                    if (record.offset() >= p.end) {
                        break;
                    }
                    if (Replayer.this.handle(record, p)) {
                        limiter.acquire();
                    }
                    p.next = record.offset() + 1;
                    if (stopRequested.getAsBoolean()) {
                        stopped = true;
                        done = true;
                        return;
                    }
                }
            }
            long[] positions = batch.positions();
            for (int i = 0; i < positions.length; i += 2) {
                Progress.Partition p = state.get((int) positions[i]);
                long position = positions[i + 1];
                if (position >= p.end) {
                    p.next = p.end;
                } else if (position > p.next) {
                    p.next = position;
                }
            }
            if (System.nanoTime() - lastFlush >= options.flushInterval().toNanos()) {
                flushAndCheckpoint();
                lastFlush = System.nanoTime();
            }
            progress.update(state.values(), elapsedMs(startedNanos), false);
        }

        /**
         * Lets the handler take what is queued (or drop it, once done), and waits until it has ended. An interrupt
         * meanwhile is taken as a stop (the handler drops what is left) and kept for the caller.
         */
        void finish(Thread thread) {
            boolean interrupted = false;
            for (int step = 0; step < 2; ) {
                try {
                    if (step == 0) {
                        queue.put(END);
                    } else {
                        thread.join();
                    }
                    step++;
                } catch (InterruptedException e) {
                    interrupted = true;
                    stopped = true;
                    done = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The checkpoint this replay resumes from, or null when it starts afresh.
     *
     * @throws CaimanException if the checkpoint file belongs to a replay with other options
     */
    public static Checkpoint checkpointOf(Options options) throws IOException {
        Checkpoint c = options.checkpoint() == null ? null : Checkpoint.read(options.checkpoint());
        if (c != null && (!c.topic().equals(options.topic()) || !c.options().equals(options.description()))) {
            throw new CaimanException("checkpoint " + options.checkpoint() + " belongs to another replay (" + c.topic()
                    + ": " + c.options() + "); resume with the same options, or remove the file to start over");
        }
        return c;
    }

    private static long elapsedMs(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** @return whether the sink took the record */
    private boolean handle(ConsumerRecord<byte[], byte[]> record, Progress.Partition p) throws IOException {
        read++;
        p.records++;
        long size = Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
        p.bytes += size;
        bytes += size;
        if (options.by() == By.APPEND_TIME && (record.timestamp() < fromMs || record.timestamp() >= toMs)) {
            filtered++;
            return false;
        }
        SeriesKey key;
        Sample sample;
        try {
            if (record.key() == null) {
                throw new IllegalArgumentException("it has no key");
            }
            if (record.value() == null) {
                throw new IllegalArgumentException("it has no value (a tombstone)");
            }
            if (parseKeys) {
                key = keys.get(record.key());
            } else { // nothing reads the key: check it as parsing would, without building it
                SeriesKey.check(record.key());
                key = null;
            }
            if (decode) {
                sample = Codecs.SAMPLE.decode(record.value());
            } else { // the sink copies the bytes: check them as decoding would, without building the sample
                Codecs.SAMPLE.check(record.value());
                sample = null;
            }
        } catch (IllegalArgumentException | CodecException e) {
            BadRecordException error = new BadRecordException(record.topic(), record.partition(), record.offset(),
                    e.getMessage(), e);
            switch (options.onBadRecord()) {
                case FAIL -> throw error;
                case LOG -> log.println("caiman replay: skipped " + error.getMessage());
                default -> { }
            }
            bad++;
            return false;
        }
        if (options.by() == By.SAMPLE_TIME && (sample.getTimestampMs() < fromMs || sample.getTimestampMs() >= toMs)) {
            filtered++;
            return false;
        }
        if (parseKeys && ((options.tenant() != null && !options.tenant().equals(key.tenant())) || !selected(key))) {
            filtered++;
            return false;
        }
        if (!sink.write(new ReplayRecord(record.partition(), record.offset(), record.timestamp(), key, sample,
                record.key(), record.value()))) {
            notExpressible++;
            return false;
        }
        written++;
        return true;
    }

    private boolean selected(SeriesKey key) {
        if (options.match().isEmpty()) {
            return true;
        }
        for (SeriesSelector s : options.match()) {
            if (s.matches(key)) {
                return true;
            }
        }
        return false;
    }

    private void flushAndCheckpoint() throws IOException {
        sink.flush();
        checkpoint();
    }

    private void checkpoint() throws IOException {
        if (options.checkpoint() == null) {
            return;
        }
        Map<Integer, long[]> ranges = new TreeMap<>();
        Map<Integer, Long> next = new TreeMap<>();
        state.forEach((p, s) -> {
            ranges.put(p, new long[] {s.start, s.end});
            next.put(p, s.next);
        });
        new Checkpoint(options.topic(), options.description(), fromMs, toMs, ranges, next, sink.deliveredBytes())
                .write(options.checkpoint());
    }

    /** Turns the bounds into each partition's offset range and the time filter. */
    private void resolve() {
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(options.topic(), options.kafkaTimeout());
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new CaimanException("cannot reach the oplog's Kafka cluster: no answer about " + options.topic()
                    + " within " + options.kafkaTimeout().toSeconds() + " s (are the servers right and up?)", e);
        }
        if (infos == null || infos.isEmpty()) {
            throw new CaimanException("topic " + options.topic() + " does not exist on this Kafka cluster");
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : infos) {
            if (options.partitions() == null || options.partitions().contains(info.partition())) {
                partitions.add(new TopicPartition(options.topic(), info.partition()));
            }
        }
        if (options.partitions() != null) {
            for (int p : options.partitions()) {
                if (p >= infos.size()) {
                    throw new CaimanException("--partitions names partition " + p + " but " + options.topic()
                            + " has partitions 0 to " + (infos.size() - 1));
                }
            }
        }
        Duration timeout = options.kafkaTimeout();
        // offsets of assigned partitions only: a read_committed consumer warns about answers for others
        consumer.assign(partitions);
        Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions, timeout);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        if (options.from() instanceof Bound.Time t) {
            fromMs = t.epochMs();
        }
        if (options.to() instanceof Bound.Time t) {
            toMs = t.epochMs();
        }
        boolean byAppend = options.by() == By.APPEND_TIME;
        Map<TopicPartition, OffsetAndTimestamp> fromOffsets = byAppend && options.from() instanceof Bound.Time
                ? offsetsForTime(partitions, fromMs, timeout) : Map.of();
        Map<TopicPartition, OffsetAndTimestamp> toOffsets = byAppend && options.to() instanceof Bound.Time
                ? offsetsForTime(partitions, toMs, timeout) : Map.of();
        for (TopicPartition tp : partitions) {
            long first = beginning.get(tp);
            long last = end.get(tp);
            long start = offset(options.from(), tp, first, last, byAppend, fromOffsets);
            long stop = offset(options.to(), tp, last, last, byAppend, toOffsets);
            start = Math.max(first, Math.min(start, last));
            stop = Math.max(start, Math.min(stop, last));
            state.put(tp.partition(), new Progress.Partition(tp.partition(), start, stop, start));
        }
    }

    private Map<TopicPartition, OffsetAndTimestamp> offsetsForTime(List<TopicPartition> partitions, long ms,
            Duration timeout) {
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, Math.max(0, ms)));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, timeout);
        Map<TopicPartition, OffsetAndTimestamp> out = new HashMap<>();
        found.forEach((tp, o) -> {
            if (o != null) {
                out.put(tp, o);
            }
        });
        return out;
    }

    /**
     * The offset a bound names in one partition: {@code unnamed} (the beginning for a start, the end for an end)
     * when offsets are given for other partitions only, or when times filter by sample time.
     */
    private static long offset(Bound bound, TopicPartition tp, long unnamed, long end, boolean byAppend,
            Map<TopicPartition, OffsetAndTimestamp> byTime) {
        if (bound instanceof Bound.Edge e) {
            return e.end() ? end : unnamed;
        }
        if (bound instanceof Bound.Offsets o) {
            Long v = o.of(tp.partition());
            return v == null ? unnamed : v;
        }
        if (!byAppend) {
            return unnamed;
        }
        // the first record the oplog accepted at or after the time; the end when none was
        OffsetAndTimestamp found = byTime.get(tp);
        return found == null ? end : found.offset();
    }

    /**
     * Parsed series keys by their bytes, the most recently used kept: an oplog repeats each series' key in
     * every one of its samples, and parsing a key costs more than reading its record.
     */
    private static final class KeyCache extends java.util.LinkedHashMap<org.apache.kafka.common.utils.Bytes, SeriesKey> {
        private static final long serialVersionUID = 1L;
        private final int capacity;

        KeyCache(int capacity) {
            super(1024, 0.75f, true);
            this.capacity = capacity;
        }

        /** @throws IllegalArgumentException if the bytes are not a series key */
        SeriesKey get(byte[] key) {
            org.apache.kafka.common.utils.Bytes bytes = new org.apache.kafka.common.utils.Bytes(key);
            SeriesKey parsed = super.get(bytes);
            if (parsed == null) {
                parsed = SeriesKey.parse(new String(key, StandardCharsets.UTF_8));
                put(bytes, parsed);
            }
            return parsed;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<org.apache.kafka.common.utils.Bytes, SeriesKey> eldest) {
            return size() > capacity;
        }
    }

    /** Spaces written samples to at most a rate, sleeping when ahead of it. */
    private static final class Limiter {
        private final double perSecond;
        private final long startNanos = System.nanoTime();
        private long count;

        Limiter(double perSecond) {
            this.perSecond = perSecond;
        }

        void acquire() throws java.io.InterruptedIOException {
            if (perSecond <= 0) {
                return;
            }
            count++;
            long dueNanos = startNanos + (long) (count / perSecond * 1e9);
            long ahead = dueNanos - System.nanoTime();
            if (ahead > 2_000_000) {
                try {
                    Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while pacing the replay");
                }
            }
        }
    }
}
