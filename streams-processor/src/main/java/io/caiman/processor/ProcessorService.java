package io.caiman.processor;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.HostPort;
import io.caiman.core.config.ProcessorSettings;
import io.caiman.core.config.SettingType;
import io.caiman.core.http.HttpService;
import io.caiman.core.http.Readiness;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.core.lifecycle.Lifecycle;
import io.caiman.core.metrics.Registries;
import io.caiman.core.shard.ShardingFunction;
import io.caiman.error.CaimanException;
import io.caiman.processor.query.AggregateExposition;
import io.caiman.processor.query.ClusterView;
import io.caiman.processor.query.SeriesExposition;
import io.caiman.processor.rules.AggregatePusher;
import io.caiman.processor.rules.CompiledRule;
import io.caiman.processor.rules.RuleMetrics;
import io.caiman.processor.rules.WindowStage;
import io.caiman.processor.topology.ProcessorTopology;
import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.state.SeriesState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream processor for one oplog cluster: a Kafka Streams application ({@code <cluster>-processor},
 * exactly_once_v2, state in RocksDB or the heap, {@code replica_factor - 1} standbys) plus its HTTP endpoints. Start
 * several with the same cluster name to share the partitions.
 *
 * <pre>{@code
 * try (ProcessorService processor = new ProcessorService(config)) {
 *     processor.start();
 *     processor.awaitFailure();   // returns if the processor stops on its own (e.g. a bad record)
 * }
 * }</pre>
 *
 * <p>Lifecycle: CREATED → STARTING → RUNNING → CLOSING → CLOSED; closing commits and leaves the group.
 */
public final class ProcessorService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProcessorService.class);

    private final CaimanConfig config;
    private final ClusterConfig cluster;
    private final Lifecycle lifecycle = new Lifecycle("processor");
    private final PrometheusMeterRegistry registry = Registries.newRegistry();
    private final CountDownLatch stoppedOnItsOwn = new CountDownLatch(1);
    private final List<CompiledRule> rules;
    private volatile Throwable failure;
    private volatile KafkaStreams streams;
    private volatile ClusterView clusterView;
    private volatile String address;
    private volatile long startedNanos;
    private final RestoreCount restoring = new RestoreCount();
    private AggregatePusher pusher;
    private KafkaStreamsMetrics streamsMetrics;
    private HttpService http;

    /** @throws CaimanException if the configuration names no oplog cluster to process */
    public ProcessorService(CaimanConfig config) {
        this.config = config;
        String name = config.processor().cluster();
        if (name == null) {
            throw new CaimanException("processor.cluster is not set and the configuration does not define exactly one "
                    + "oplog cluster; name the cluster to process");
        }
        this.cluster = config.requireCluster(name);
        this.rules = CompiledRule.compile(config.rules(name));
    }

    /**
     * Checks (or creates) the oplog topic, starts the HTTP endpoints and the Streams application.
     *
     * @throws io.caiman.core.kafka.TopicMismatchException if the oplog differs from the config
     */
    public void start() {
        lifecycle.starting();
        try {
            try (Admin admin = KafkaClients.newAdmin(config, cluster, "caiman-processor-admin")) {
                Topics.ensure(admin, TopicSpec.oplog(cluster));
                if (!rules.isEmpty()) {
                    Topics.ensure(admin, TopicSpec.aggregates(cluster));
                }
            }
            for (CompiledRule rule : rules) {
                log.info("rule {} (id {}): {} every {}, outputs {} as {}<output>", rule.name(), rule.id(),
                        rule.config().match(), SettingType.formatDuration(rule.config().interval()),
                        rule.config().outputs(), "<metric>" + rule.config().nameSuffix());
            }
            Counter badRecords = Counter.builder("caiman_processor_bad_records")
                    .description("Unreadable oplog records skipped (processor.on_bad_record=skip)").register(registry);
            // the HTTP address first: Kafka Streams advertises it to the group (application.server)
            http = HttpService.builder("processor", config.processor().listen(), registry)
                    .metricsExtra(this::exposition)
                    .readiness(this::readiness)
                    .route("GET", "/api/v1/cluster/peers", e -> view(e, ClusterView::peers))
                    .route("GET", "/api/v1/cluster/lookup", e -> view(e, ClusterView::lookup))
                    .route("GET", "/api/v1/cluster/self", e -> view(e, ClusterView::self))
                    .route("GET", "/api/v1/series", e -> view(e, ClusterView::series))
                    .build();
            http.start();
            address = advertised(config.processor().advertise(), config.processor().listen(), http.port());
            clusterView = new ClusterView(() -> streams, new ShardingFunction(cluster.shardingKey(), cluster.partitions()),
                    cluster.oplogTopic(), rules.isEmpty() ? null : cluster.processorApplicationId() + "-"
                            + ProcessorTopology.RULE_GROUPS + "-repartition", address, this::self,
                    config.processor().queryMaxSeries(), config.processor().inMemoryState(), registry);
            startedNanos = System.nanoTime();
            streams = newStreams(badRecords);
            streams.setGlobalStateRestoreListener(restoring);
            streams.setUncaughtExceptionHandler(e -> {
                log.error("processor [{}] stopped: {}", cluster.processorApplicationId(), e.getMessage(), e);
                failure = e;
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            streams.setStateListener((next, previous) -> {
                log.info("processor [{}] {} -> {}", cluster.processorApplicationId(), previous, next);
                if (next == KafkaStreams.State.ERROR || (next == KafkaStreams.State.NOT_RUNNING && lifecycle.isRunning())) {
                    stoppedOnItsOwn.countDown();
                }
            });
            streamsMetrics = new KafkaStreamsMetrics(streams);
            streamsMetrics.bindTo(registry);
            io.micrometer.core.instrument.Gauge.builder("caiman_processor_partitions_not_read", this, p -> {
                KafkaStreams s = p.streams;
                java.util.Set<Integer> waiting = s == null ? null : p.notProcessing(s, clients(s));
                return waiting == null ? Double.NaN : waiting.size();
            }).description("Oplog partitions assigned to this processor for which its consumer reports no lag yet: "
                    + "restoring, waiting for a dead processor's open transaction to be aborted, or (for up to a second "
                    + "or so) just assigned; NaN while not running")
                    .register(registry);
            streams.start();
            if (!rules.isEmpty()) {
                startEndsReader();
            }
            if (config.processor().remoteWriteUrl() != null && !rules.isEmpty()) {
                Map<String, Object> reader = new HashMap<>(KafkaClients.reader(config, cluster, "caiman-aggregates-remote-write"));
                reader.put("group.id", cluster.name() + "-aggregates-remote-write");
                reader.put("enable.auto.commit", false);
                reader.put("auto.offset.reset", "earliest");
                pusher = new AggregatePusher(new org.apache.kafka.clients.consumer.KafkaConsumer<>(reader,
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer()), cluster.aggregatesTopic(),
                        new io.caiman.core.wire.remotewrite.RemoteWriteClient(config.processor().remoteWriteUrl(),
                                config.processor().remoteWriteHeaders(), "caiman-processor", ms -> {
                                    try {
                                        Thread.sleep(ms);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                }), registry);
                pusher.start();
                log.info("pushing closed windows from {} to {}", cluster.aggregatesTopic(), config.processor().remoteWriteUrl());
            }
            lifecycle.running();
            log.info("processor [{}] reading {} with state in {}; http on port {}, advertised as {}",
                    cluster.processorApplicationId(), cluster.oplogTopic(), config.processor().inMemoryState()
                            ? "the heap (changelogged; checkpoints in " + config.processor().stateDir() + ")"
                            : config.processor().stateDir(), http.port(),
                    address);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Answers with the cluster view, or 503 in the moment between the HTTP server's start and the view's. */
    private void view(io.caiman.core.http.HttpExchange exchange,
            java.util.function.BiConsumer<ClusterView, io.caiman.core.http.HttpExchange> answer) {
        ClusterView view = clusterView;
        if (view == null) {
            exchange.respondText(503, "the processor is starting\n");
        } else {
            answer.accept(view, exchange);
        }
    }

    private KafkaStreams newStreams(Counter badRecords) {
        ProcessorTopology.Aggregation aggregation = new ProcessorTopology.Aggregation(rules, cluster.aggregatesTopic(),
                config.replicaTimeout(), config.processor().maxFuture(), config.processor().idleClose(),
                config.processor().ruleFlushInterval(), new RuleMetrics(registry, 10_000), cluster.partitions(),
                this::readToEnd);
        return new KafkaStreams(ProcessorTopology.build(cluster.oplogTopic(), config.processor().skipBadRecords(),
                badRecords, config.processor().setWindow(), aggregation, config.processor().inMemoryState()),
                new StreamsConfig(properties()));
    }

    /**
     * Rebuilds this cluster's aggregate state from the oplog from {@code start} on, before this processor
     * starts (see {@link ProcessorReset}).
     *
     * @throws io.caiman.error.CaimanException if a processor of the cluster is running, naming it, or Kafka refuses
     */
    public ProcessorReset.Result resetTo(org.apache.kafka.clients.admin.OffsetSpec start) {
        if (streams != null) {
            throw new IllegalStateException("reset before start()");
        }
        ProcessorReset.Result result = ProcessorReset.resetGroup(config, cluster, start);
        // this host's copy of the state: Streams' own clean-up of the state directory, for this application id
        try (KafkaStreams local = newStreams(Counter.builder("unused").register(new SimpleMeterRegistry()))) {
            local.cleanUp();
        }
        return result;
    }

    /** The Kafka Streams properties this processor runs with (exactly_once_v2 always; {@code kafka.streams} applied). */
    public Map<String, Object> properties() {
        Map<String, Object> p = new HashMap<>(KafkaClients.common(config, cluster, cluster.processorApplicationId()));
        p.remove("client.id");
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, cluster.processorApplicationId());
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.processor().stateDir());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.processor().commitInterval().toMillis());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, cluster.replicaFactor());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, cluster.replicaFactor() - 1);
        // the changelogs and the repartition topic are written as the oplog is (acks=all), and must outlive a broker
        // as it does: the brokers' default min.insync.replicas (1) would let a write that only the leader holds be
        // acknowledged, and state that the oplog's offsets have moved past be lost with that broker's disk
        p.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG), cluster.minInsyncReplicas());
        if (address != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, address);
        }
        p.put("processing.exception.handler.global.enabled", true);
        // changelogs, the repartition topic and the aggregates in lz4 batches, as the gateway writes the oplog: a
        // state update is a small record per sample, and uncompressed ones cost the broker (and a restore) more
        // than the processor's own work (bench/RESULTS.md: per-series throughput 0.12 -> 0.18 of the consumer)
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        // a processor that joins gets most of its share as warm-up copies first (two at a time), which become active
        // at the next probing rebalance once caught up: every minute (Streams' least) rather than every ten, so that
        // adding a processor moves work in minutes (six partitions from one processor to two: 1,212 s -> 133 s;
        // bench/RESULTS.md, session 7)
        p.put(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG, 60_000);
        p.putAll(config.kafka().streams());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        return p;
    }

    /**
     * The Prometheus text of every series this processor owns (but the input of rules without {@code keep_input}),
     * then the latest closed window of every rule output it owns.
     */
    String exposition() {
        KafkaStreams s = streams;
        if (s == null || s.state() != KafkaStreams.State.RUNNING) {
            return "# series state is not served while the processor is " + (s == null ? "starting" : s.state()) + "\n";
        }
        try {
            StringBuilder out = new StringBuilder();
            long max = config.processor().metricsMaxSeries();
            // read once, at most max + 1 series: counted, not estimated (Streams' estimate for RocksDB counts every
            // write not yet compacted, overwrites included)
            List<org.apache.kafka.streams.KeyValue<byte[], SeriesState>> series = new java.util.ArrayList<>();
            try (KeyValueIterator<byte[], SeriesState> all =
                    ProcessorTopology.<SeriesState>queryable(s, ProcessorTopology.SERIES_STATE_STORE).all()) {
                while (all.hasNext() && series.size() <= max) {
                    series.add(all.next());
                }
            }
            if (series.size() > max) {
                out.append("# this processor's state holds more than processor.metrics_max_series (").append(max)
                        .append(") series: their values and sample counts are not listed here; ")
                        .append("GET /api/v1/series?match[]=... gives them\n");
            } else {
                out.append(SeriesExposition.render(series.iterator(), this::shownAsInput));
            }
            if (!rules.isEmpty()) {
                ReadOnlyKeyValueStore<byte[], Aggregate> latest = ProcessorTopology.queryable(s, WindowStage.LATEST_STORE);
                try (KeyValueIterator<byte[], Aggregate> all = latest.all()) {
                    out.append(AggregateExposition.render(all));
                }
            }
            return out.toString();
        } catch (InvalidStateStoreException e) {
            return "# series state is not available right now (" + e.getMessage() + ")\n";
        }
    }

    /** Whether an input series stays on /metrics: no rule matches it, or one that matches keeps its input. */
    private boolean shownAsInput(io.caiman.core.model.SeriesKey key) {
        boolean matched = false;
        for (CompiledRule rule : rules) {
            if (rule.matches(key)) {
                if (rule.config().keepInput()) {
                    return true;
                }
                matched = true;
            }
        }
        return !matched;
    }

    private Readiness readiness() {
        KafkaStreams s = streams;
        KafkaStreams.State state = s == null ? null : s.state();
        ProcessorSettings settings = config.processor();
        java.util.Collection<org.apache.kafka.streams.StreamsMetadata> clients = s == null ? null : clients(s);
        int members = state == KafkaStreams.State.RUNNING && clients != null ? clients.size() : 0;
        boolean waited = startedNanos != 0
                && System.nanoTime() - startedNanos >= settings.clusterWait().toNanos();
        long lag = s == null ? -1 : inputLag(s);
        java.util.Set<Integer> unread = s == null ? null : notProcessing(s, clients);
        return new Readiness(List.of(
                new Readiness.Condition("oplog topic " + cluster.oplogTopic() + " checked", s != null, ""),
                new Readiness.Condition("streams running", state == KafkaStreams.State.RUNNING,
                        "state " + state + (failure != null ? "; failed: " + failure.getMessage() : "")),
                new Readiness.Condition("cluster formed", members >= settings.minClusterSize() || waited,
                        members + " of min_cluster_size " + settings.minClusterSize() + " processors in the group"
                                + (members < settings.minClusterSize() ? (waited ? "; cluster_wait passed"
                                : "; waiting up to " + SettingType.formatDuration(settings.clusterWait())) : "")),
                new Readiness.Condition("state restored", s != null && restoring.active() == 0,
                        restoring.active() + " store partitions restoring"),
                new Readiness.Condition("partitions read", unread != null && unread.isEmpty(), unread == null
                        ? "not running" : unread.isEmpty() ? "every oplog partition of this processor fetched"
                        : "oplog partitions " + unread + " assigned here and not fetched yet (just assigned, restoring, "
                                + "or held by a processor that died committing until Kafka aborts its transaction)"),
                new Readiness.Condition("lag within ready_max_lag", lag >= 0 && lag <= settings.readyMaxLag(),
                        "input lag " + lag + " records (bound " + settings.readyMaxLag() + ")")));
    }

    /**
     * The oplog partitions the group assigned to this processor for which its consumer reports no lag: their tasks
     * have not fetched yet. A task taken over from a processor killed with its transaction open cannot start until
     * Kafka aborts that transaction, since until then the partition's committed offset is not stable; meanwhile the
     * group shows the partition here, nothing restores, and no lag is known for it. Readiness waits for them: a
     * partition just assigned is reported once the consumer has fetched it (within a second or so).
     *
     * @return the partitions, or {@code null} when Streams is not running or rebalancing
     */
    private java.util.Set<Integer> notProcessing(KafkaStreams s, java.util.Collection<org.apache.kafka.streams.StreamsMetadata> clients) {
        KafkaStreams.State state = s.state();
        if (clients == null || state != KafkaStreams.State.RUNNING && state != KafkaStreams.State.REBALANCING) {
            return null;
        }
        java.util.Set<Integer> waiting = new java.util.TreeSet<>();
        for (org.apache.kafka.streams.StreamsMetadata m : clients) {
            if (ClusterView.host(m.hostInfo()).equals(address)) {
                m.topicPartitions().stream().filter(tp -> tp.topic().equals(cluster.oplogTopic()))
                        .forEach(tp -> waiting.add(tp.partition()));
            }
        }
        if (!waiting.isEmpty()) {
            waiting.removeAll(oplogLags(s).keySet());
        }
        return waiting;
    }

    /** The group's processors as Streams knows them; {@code null} while it cannot say (starting, stopping). */
    private static java.util.Collection<org.apache.kafka.streams.StreamsMetadata> clients(KafkaStreams s) {
        try {
            return s.metadataForAllStreamsClients();
        } catch (IllegalStateException | org.apache.kafka.streams.errors.StreamsException e) {
            return null;
        }
    }

    /** What /api/v1/cluster/self reports. */
    private ClusterView.Self self() {
        KafkaStreams s = streams;
        return new ClusterView.Self(s == null ? "STARTING" : s.state().name(), s == null ? -1 : inputLag(s),
                restoring.active());
    }

    /**
     * The most records any input partition of this processor is behind: the consumers' {@code records-lag} (not
     * the restore consumers'), 0 when none is known yet.
     */
    private static long inputLag(KafkaStreams s) {
        double max = 0;
        for (var e : s.metrics().entrySet()) {
            org.apache.kafka.common.MetricName n = e.getKey();
            if (n.name().equals("records-lag") && n.group().equals("consumer-fetch-manager-metrics")
                    && !n.tags().getOrDefault("client-id", "").endsWith("restore-consumer")) {
                Object v = e.getValue().metricValue();
                if (v instanceof Double d && !d.isNaN()) {
                    max = Math.max(max, d);
                }
            }
        }
        return (long) max;
    }

    private long lagsAtNanos;
    private Map<Integer, Double> oplogLags = Map.of();
    /** The oplog's end offsets (read_committed), read every 250 ms while rules run, and when. */
    private volatile long[] oplogEnds;
    /** The group's committed offset of each oplog partition (-1: none), read just after {@link #oplogEnds}. */
    private volatile long[] oplogCommitted;
    private volatile long oplogEndsAtNanos;
    private java.util.concurrent.ScheduledExecutorService endsReader;

    /**
     * Whether this processor's task of oplog partition {@code partition} has read it to its end, as read at most a
     * second ago: the offset after the last record it processed ({@code nextOffset}) is at the end offset, or the
     * group's committed offset is. The second covers a partition that ends in a transaction's marker (a crawler
     * wrote to it last): no record is read at that offset, so {@code nextOffset} stays short of the end, while Streams
     * commits its consumer's position, past the marker, once it has processed every record it fetched. For a task
     * that has processed nothing since it started, its consumer's {@code records-lag} known and 0 is enough too (a
     * new owner whose offsets are not fetched yet has none). Called by the per-series tasks at their flushes.
     */
    private boolean readToEnd(int partition, long nextOffset) {
        long[] ends = oplogEnds;
        long[] committed = oplogCommitted;
        boolean fresh = ends != null && partition < ends.length && System.nanoTime() - oplogEndsAtNanos < 1_000_000_000L;
        if (fresh && committed != null && committed[partition] >= ends[partition]) {
            return true;
        }
        if (nextOffset < 0) {
            return caughtUp(partition);
        }
        return fresh && nextOffset >= ends[partition];
    }

    /** Reads the oplog's end offsets every 250 ms (a consumer's lag metric is only as fresh as its last fetch). */
    private void startEndsReader() {
        Admin admin = KafkaClients.newAdmin(config, cluster, "caiman-processor-oplog-ends");
        endsReader = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "caiman-processor-oplog-ends");
            t.setDaemon(true);
            return t;
        });
        Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < cluster.partitions(); p++) {
            latest.put(new org.apache.kafka.common.TopicPartition(cluster.oplogTopic(), p),
                    org.apache.kafka.clients.admin.OffsetSpec.latest());
        }
        var options = new org.apache.kafka.clients.admin.ListOffsetsOptions(org.apache.kafka.common.IsolationLevel.READ_COMMITTED);
        endsReader.scheduleWithFixedDelay(() -> {
            try {
                long started = System.nanoTime();
                var offsets = admin.listOffsets(latest, options).all().get(5, java.util.concurrent.TimeUnit.SECONDS);
                long[] ends = new long[cluster.partitions()];
                offsets.forEach((tp, info) -> ends[tp.partition()] = info.offset());
                oplogCommitted = committedOffsets(admin);
                oplogEnds = ends;
                oplogEndsAtNanos = started; // the ends are at least this fresh
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.debug("reading the oplog's end offsets failed (tasks are not idle until it works again): {}", e.toString());
            }
        }, 0, 250, java.util.concurrent.TimeUnit.MILLISECONDS);
        endsAdmin = admin;
    }

    private Admin endsAdmin;

    /**
     * The group's committed offset of each oplog partition (-1: none); {@code null} when they cannot be read (a
     * principal not allowed to describe the group: tasks then go idle only on {@code nextOffset}). A committed offset
     * at or past an end has every record before that end processed and committed, whenever either was read.
     */
    private long[] committedOffsets(Admin admin) throws InterruptedException {
        try {
            var groupOffsets = admin.listConsumerGroupOffsets(cluster.processorApplicationId())
                    .partitionsToOffsetAndMetadata().get(5, java.util.concurrent.TimeUnit.SECONDS);
            long[] committed = new long[cluster.partitions()];
            java.util.Arrays.fill(committed, -1);
            groupOffsets.forEach((tp, om) -> {
                if (om != null && tp.topic().equals(cluster.oplogTopic()) && tp.partition() < committed.length) {
                    committed[tp.partition()] = om.offset();
                }
            });
            return committed;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.debug("reading the group's committed offsets failed: {}", e.toString());
            return null;
        }
    }

    /**
     * Whether this processor has read oplog partition {@code partition} to its end: its consumer's {@code records-lag}
     * for it is known and 0. The metrics are read at most every 200 ms.
     */
    private synchronized boolean caughtUp(int partition) {
        KafkaStreams s = streams;
        if (s == null) {
            return false;
        }
        Double lag = oplogLags(s).get(partition);
        return lag != null && lag == 0;
    }

    /**
     * The main consumers' {@code records-lag} of each oplog partition they have fetched from, read from the metrics at
     * most every 200 ms.
     */
    private synchronized Map<Integer, Double> oplogLags(KafkaStreams s) {
        if (System.nanoTime() - lagsAtNanos > 200_000_000L || lagsAtNanos == 0) {
            Map<Integer, Double> lags = new HashMap<>();
            String topic = cluster.oplogTopic();
            for (var e : s.metrics().entrySet()) {
                org.apache.kafka.common.MetricName n = e.getKey();
                String t = n.tags().get("topic");
                if (n.name().equals("records-lag") && n.group().equals("consumer-fetch-manager-metrics")
                        && n.tags().containsKey("partition") && (topic.equals(t) || topic.replace('.', '_').equals(t))
                        && !n.tags().getOrDefault("client-id", "").endsWith("restore-consumer")
                        && e.getValue().metricValue() instanceof Double d && !d.isNaN()) {
                    lags.put(Integer.parseInt(n.tags().get("partition")), d);
                }
            }
            oplogLags = lags;
            lagsAtNanos = System.nanoTime();
        }
        return oplogLags;
    }

    /** The advertised HTTP address: {@code advertise}, else {@code listen} with this host's name for a wildcard. */
    static String advertised(HostPort advertise, HostPort listen, int port) {
        return advertise != null ? advertise.host() + ":" + advertise.port() : listen.advertised(port);
    }

    /**
     * Counts the store partitions being restored, for readiness, and logs each restoration that restored records,
     * with how many and how long it took.
     */
    private static final class RestoreCount implements org.apache.kafka.streams.processor.StateRestoreListener {
        private final java.util.Map<String, Long> active = new java.util.concurrent.ConcurrentHashMap<>();

        int active() {
            return active.size();
        }

        @Override
        public void onRestoreStart(org.apache.kafka.common.TopicPartition tp, String store, long start, long end) {
            active.put(store + "/" + tp, System.nanoTime());
            log.debug("restoring store {} from {} offsets {} to {}", store, tp, start, end);
        }

        @Override
        public void onBatchRestored(org.apache.kafka.common.TopicPartition tp, String store, long end, long n) {}

        @Override
        public void onRestoreEnd(org.apache.kafka.common.TopicPartition tp, String store, long total) {
            Long started = active.remove(store + "/" + tp);
            if (total > 0 || log.isDebugEnabled()) { // an empty changelog (a fresh start) is not news
                log.info("restored store {} from {}: {} records in {} ms", store, tp, total,
                        started == null ? "?" : (System.nanoTime() - started) / 1_000_000);
            }
        }

        @Override
        public void onRestoreSuspended(org.apache.kafka.common.TopicPartition tp, String store, long total) {
            active.remove(store + "/" + tp);
        }
    }

    /** Blocks until the processor stops without being closed (an error, such as an unreadable record). */
    public void awaitFailure() throws InterruptedException {
        stoppedOnItsOwn.await();
    }

    /** Why the processor stopped on its own, if it did. */
    public Throwable failure() {
        return failure;
    }

    /** The state of the Streams application, or {@code null} before start. */
    public KafkaStreams.State streamsState() {
        return streams == null ? null : streams.state();
    }

    public int httpPort() {
        return http.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        if (!lifecycle.closing()) {
            return;
        }
        if (http != null) {
            http.close();
        }
        if (pusher != null) {
            pusher.close();
        }
        if (endsReader != null) {
            endsReader.shutdownNow();
            endsAdmin.close(Duration.ofSeconds(5));
        }
        if (streams != null) {
            streams.close(org.apache.kafka.streams.CloseOptions.timeout(Duration.ofSeconds(30))
                    .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        registry.close();
        lifecycle.closed();
        stoppedOnItsOwn.countDown();
    }
}
