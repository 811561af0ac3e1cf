package io.caiman.processor.query;

import io.caiman.core.http.HttpExchange;
import io.caiman.core.model.Naming;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.model.SeriesSelector;
import io.caiman.core.shard.ShardingFunction;
import io.caiman.core.wire.Json;
import io.caiman.core.wire.Numbers;
import io.caiman.processor.rules.WindowStage;
import io.caiman.processor.topology.KeyFilterQuery;
import io.caiman.processor.topology.ProcessorTopology;
import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.state.SeriesState;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The processors' cluster view and queries, as Alloy's {@code Peers} and {@code Lookup} and Prometheus'
 * {@code /api/v1/series}, answered by any processor:
 *
 * <ul>
 *   <li>{@code GET /api/v1/cluster/peers}: every processor of the group (Kafka Streams' metadata of the clients,
 *       each advertising its HTTP address as {@code application.server}), with its active and standby partitions,
 *       and its state and input lag as it reports them itself ({@code /api/v1/cluster/self});
 *   <li>{@code GET /api/v1/cluster/lookup?series=…}: the oplog partition Caiman's sharding function gives the
 *       series, and its active owner and standbys (key metadata with that partitioner, not Kafka's default);
 *   <li>{@code GET /api/v1/series?match=…}: the current state of the matching series and rule outputs. Matching
 *       series may be on every partition, so the processor asks every owner for the partitions the group gives it
 *       ({@code local=true&partitions=…}) and answers 503 naming the partitions it could not read, never partial
 *       data. At
 *       most {@code limit} entries (Prometheus' parameter; {@code processor.query_max_series} by default and at
 *       most), each owner sending one more than that at most, so that an answer cut short says so in
 *       {@code warnings}.
 * </ul>
 */
public final class ClusterView {

    /** What this processor says about itself. */
    public record Self(String state, long lag, int restoring) {}

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ClusterView.class);
    private static final long SLOW_READ_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    private static final long SLOW_LOG_EVERY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(10);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final Supplier<KafkaStreams> streams;
    private final ShardingFunction sharding;
    private final String oplogTopic;
    /** The topic the rules' window stage reads (its tasks hold the outputs), or {@code null} without rules. */
    private final String outputsTopic;
    private final String address;
    private final Supplier<Self> self;
    private final int maxSeries;
    /** Whether the series' state is in a hash map ({@code processor.state_store: memory}), which has no key order. */
    private final boolean seriesInHashMap;
    private final io.micrometer.core.instrument.Timer queryTime;
    private final io.micrometer.core.instrument.Counter queryRead;
    /** When a slow local read was last logged, in nanoseconds: at most one line each 10 s. */
    private final java.util.concurrent.atomic.AtomicLong slowLogged = new java.util.concurrent.atomic.AtomicLong(
            System.nanoTime() - SLOW_LOG_EVERY_NANOS);

    /**
     * @param outputsTopic the repartition topic the rules' window stage reads, as many partitions as the oplog
     *     ({@code null} without rules): the owners of its partitions hold the rules' outputs
     * @param maxSeries the most entries one {@code /api/v1/series} answer holds ({@code processor.query_max_series})
     * @param seriesInHashMap whether the series' state is in a hash map ({@code processor.state_store: memory}), which
     *     a query reads whole, rather than in a store kept in key order
     * @param registry where the time and the entries read of each query's local read are counted
     */
    public ClusterView(Supplier<KafkaStreams> streams, ShardingFunction sharding, String oplogTopic, String outputsTopic,
            String address, Supplier<Self> self, int maxSeries, boolean seriesInHashMap,
            io.micrometer.core.instrument.MeterRegistry registry) {
        this.streams = streams;
        this.sharding = sharding;
        this.oplogTopic = oplogTopic;
        this.outputsTopic = outputsTopic;
        this.address = address;
        this.self = self;
        this.maxSeries = maxSeries;
        this.seriesInHashMap = seriesInHashMap;
        this.queryTime = io.caiman.core.metrics.Registries.latencyHistogram("caiman_processor_series_query_seconds")
                .description("Time of each /api/v1/series read of this processor's own stores (a query this processor "
                        + "answers, or one a peer forwards with local=true)")
                .register(registry);
        this.queryRead = io.micrometer.core.instrument.Counter.builder("caiman_processor_series_query_read")
                .description("Store entries /api/v1/series reads read, those the selectors then refused included: a "
                        + "selector with a metric name reads only that name's entries")
                .register(registry);
    }

    /** {@code GET /api/v1/cluster/self}: this processor's state, input lag and restorations in progress. */
    public void self(HttpExchange exchange) {
        ok(exchange, selfJson());
    }

    /** {@code GET /api/v1/cluster/peers}. */
    public void peers(HttpExchange exchange) {
        KafkaStreams s = running(exchange);
        if (s == null) {
            return;
        }
        List<StreamsMetadata> clients = new ArrayList<>(s.metadataForAllStreamsClients());
        clients.sort(java.util.Comparator.comparing(m -> host(m.hostInfo())));
        StringBuilder json = new StringBuilder("{\"status\":\"success\",\"data\":[");
        for (int i = 0; i < clients.size(); i++) {
            StreamsMetadata m = clients.get(i);
            String peer = host(m.hostInfo());
            json.append(i == 0 ? "" : ",").append("{\"address\":").append(Json.quote(peer))
                    .append(",\"self\":").append(peer.equals(address))
                    .append(",\"partitions\":").append(partitions(m.topicPartitions(), oplogTopic))
                    .append(",\"standby_partitions\":").append(partitions(m.standbyTopicPartitions(), oplogTopic));
            if (outputsTopic != null) {
                json.append(",\"output_partitions\":").append(partitions(m.topicPartitions(), outputsTopic));
            }
            String reported = peer.equals(address) ? selfJson() : fetch(peer, "/api/v1/cluster/self");
            json.append(",\"reported\":").append(reported != null ? reported.strip() : "null")
                    .append(",\"reachable\":").append(reported != null).append('}');
        }
        ok(exchange, json.append("]}").toString());
    }

    /** {@code GET /api/v1/cluster/lookup?series=…}. */
    public void lookup(HttpExchange exchange) {
        KafkaStreams s = running(exchange);
        if (s == null) {
            return;
        }
        SeriesKey key;
        try {
            key = seriesKey(exchange.queryValues("series"));
        } catch (IllegalArgumentException e) {
            error(exchange, 400, "bad_data", e.getMessage());
            return;
        }
        int partition = sharding.partition(key);
        KeyQueryMetadata owner = s.queryMetadataForKey(ProcessorTopology.SERIES_STATE_STORE, key.bytes(),
                (topic, k, value, partitions) -> java.util.Optional.of(Set.of(sharding.partition(SeriesKey.parse(k)))));
        StringBuilder json = new StringBuilder("{\"status\":\"success\",\"data\":{\"series\":").append(Json.quote(key.toString()))
                .append(",\"partition\":").append(partition);
        if (owner == null || owner == KeyQueryMetadata.NOT_AVAILABLE) {
            json.append(",\"owner\":null,\"standbys\":[]");
        } else {
            json.append(",\"owner\":").append(Json.quote(host(owner.activeHost()))).append(",\"standbys\":[");
            int i = 0;
            for (HostInfo h : owner.standbyHosts()) {
                json.append(i++ == 0 ? "" : ",").append(Json.quote(host(h)));
            }
            json.append(']');
        }
        ok(exchange, json.append("}}").toString());
    }

    /** {@code GET /api/v1/series?match=…[&local=true[&partitions=…&output_partitions=…]]}. */
    public void series(HttpExchange exchange) {
        KafkaStreams s = running(exchange);
        if (s == null) {
            return;
        }
        List<SeriesSelector> selectors = new ArrayList<>();
        int limit;
        try {
            if (exchange.queryValues("match[]").isEmpty() && exchange.queryValues("match").isEmpty()) {
                throw new IllegalArgumentException("give at least one match[] (or match) series selector");
            }
            for (String m : concat(exchange.queryValues("match[]"), exchange.queryValues("match"))) {
                selectors.add(SeriesSelector.parse(m));
            }
            limit = limit(exchange.queryValues("limit"));
        } catch (IllegalArgumentException e) {
            error(exchange, 400, "bad_data", e.getMessage());
            return;
        }
        // every partition that may hold a match must be read by its active owner: of the oplog (the series) and, with
        // rules, of the window stage's input (the outputs, on tasks of their own); else the answer says which could
        // not be read. A selector that gives every sharding_key label's value names its series' one partition, so
        // only that partition's owner is asked, as for a key; an output's name has a colon
        Set<Integer> unread = seriesPartitions(selectors);
        Set<Integer> unreadOutputs = outputsTopic != null && selectors.stream().anyMatch(ClusterView::mayMatchOutputs)
                ? allPartitions() : new TreeSet<>();
        if (exchange.queryValues("local").contains("true")) {
            // asked by another processor, which names the partitions it counts on this one for (by default, those the
            // group's metadata gives this one): exactly those are read, or the answer is 503
            try {
                unread.retainAll(partitionsParam(exchange, "partitions", owned(s, oplogTopic)));
                unreadOutputs.retainAll(partitionsParam(exchange, "output_partitions", owned(s, outputsTopic)));
            } catch (NumberFormatException e) {
                error(exchange, 400, "bad_data", "partitions and output_partitions are lists of partition numbers, "
                        + "like 0,2,5: " + e.getMessage());
                return;
            }
            try {
                List<String> local = timedLocal(s, selectors, limit + 1, unread, unreadOutputs);
                ok(exchange, "{\"status\":\"success\",\"data\":[" + String.join(",", local) + "]}");
            } catch (InvalidStateStoreException e) {
                error(exchange, 503, "unavailable", "a partition asked for is not served here (a rebalance): "
                        + e.getMessage() + "; no partial answer is given, retry");
            }
            return;
        } else if (exchange.queryValues("partitions").size() + exchange.queryValues("output_partitions").size() > 0) {
            error(exchange, 400, "bad_data", "partitions and output_partitions are only for local=true");
            return;
        }
        // one more than the limit from each owner: enough to know the answer is cut short
        List<String> items = new ArrayList<>();
        for (StreamsMetadata m : s.metadataForAllStreamsClients()) {
            Set<Integer> owned = partitionsOf(m, oplogTopic);
            owned.retainAll(unread);
            Set<Integer> ownedOutputs = partitionsOf(m, outputsTopic);
            ownedOutputs.retainAll(unreadOutputs);
            if (owned.isEmpty() && ownedOutputs.isEmpty()) {
                continue; // holds nothing the query needs, or nothing another owner has not given
            }
            String peer = host(m.hostInfo());
            List<String> data;
            if (peer.equals(address)) {
                try {
                    data = timedLocal(s, selectors, limit + 1, owned, ownedOutputs);
                } catch (InvalidStateStoreException e) {
                    data = null; // the group's metadata moved on since: its partitions stay unread
                }
            } else {
                StringBuilder path = new StringBuilder("/api/v1/series?local=true&limit=" + limit)
                        .append("&partitions=").append(join(owned)).append("&output_partitions=").append(join(ownedOutputs));
                for (SeriesSelector sel : selectors) {
                    path.append("&match[]=").append(URLEncoder.encode(sel.toString(), StandardCharsets.UTF_8));
                }
                data = data(fetch(peer, path.toString()));
            }
            if (data != null) {
                items.addAll(data);
                unread.removeAll(owned);
                unreadOutputs.removeAll(ownedOutputs);
            }
        }
        if (!unread.isEmpty() || !unreadOutputs.isEmpty()) {
            String which = (unread.isEmpty() ? "" : "oplog partitions " + unread)
                    + (unread.isEmpty() || unreadOutputs.isEmpty() ? "" : " and ")
                    + (unreadOutputs.isEmpty() ? "" : "rule output partitions " + unreadOutputs + " (" + outputsTopic + ")");
            error(exchange, 503, "unavailable", which + " have no processor that answered (a rebalance, or a processor "
                    + "down); no partial answer is given, retry");
            return;
        }
        boolean truncated = items.size() > limit;
        ok(exchange, "{\"status\":\"success\",\"data\":[" + String.join(",", truncated ? items.subList(0, limit) : items)
                + "]" + (truncated ? ",\"warnings\":[\"results truncated due to limit (" + limit + "; "
                + "processor.query_max_series is " + maxSeries + ")\"]" : "") + "}");
    }

    /**
     * The oplog partitions that may hold a series some selector matches: one per selector that gives the value of every
     * {@code sharding_key} label by equality (the metric name for {@code __name__}), else every partition.
     */
    private Set<Integer> seriesPartitions(List<SeriesSelector> selectors) {
        Set<Integer> out = new TreeSet<>();
        for (SeriesSelector selector : selectors) {
            Map<String, String> given = new java.util.HashMap<>();
            for (SeriesSelector.Matcher m : selector.matchers()) {
                if (m.op() == SeriesSelector.Op.EQUAL) {
                    given.putIfAbsent(m.label(), m.value());
                }
            }
            if (!given.keySet().containsAll(sharding.shardingKey())) {
                return allPartitions();
            }
            String name = given.remove(ShardingFunction.METRIC_NAME);
            out.add(sharding.partition(name == null ? "" : name, io.caiman.core.model.Labels.of(given)));
        }
        return out;
    }

    /** 0 to the oplog's partition count (the window stage's input has as many). */
    private Set<Integer> allPartitions() {
        Set<Integer> all = new TreeSet<>();
        for (int p = 0; p < sharding.partitions(); p++) {
            all.add(p);
        }
        return all;
    }

    /** Whether {@code selector} may match a rule output, whose name has a colon: unless it names a metric without. */
    private static boolean mayMatchOutputs(SeriesSelector selector) {
        for (SeriesSelector.Matcher m : selector.matchers()) {
            if (m.label().equals("__name__") && m.op() == SeriesSelector.Op.EQUAL && m.value().indexOf(':') < 0) {
                return false;
            }
        }
        return true;
    }

    /** The {@code limit} parameter: absent or 0 is {@link #maxSeries}, and no more than it is given. */
    private int limit(List<String> values) {
        if (values.isEmpty()) {
            return maxSeries;
        }
        long limit;
        try {
            limit = Long.parseLong(values.get(values.size() - 1).strip());
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be a whole number of 0 or more, not '" + values.get(values.size() - 1) + "'");
        }
        return limit == 0 ? maxSeries : (int) Math.min(limit, maxSeries);
    }

    /** The entries of a peer's {@code local=true} answer, each as JSON; {@code null} if it did not answer so. */
    private static List<String> data(String answer) {
        if (answer == null) {
            return null;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode root = JSON.readTree(answer);
            if (!"success".equals(root.path("status").asText()) || !root.path("data").isArray()) {
                return null;
            }
            List<String> out = new ArrayList<>();
            root.get("data").forEach(n -> out.add(n.toString()));
            return out;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** {@link #local}, timed and counted; a read that takes a second or more is logged, at most once each 10 s. */
    private List<String> timedLocal(KafkaStreams s, List<SeriesSelector> selectors, int max, Set<Integer> series,
            Set<Integer> outputs) {
        SeriesScan scan = SeriesScan.of(selectors);
        long started = System.nanoTime();
        List<String> out = local(s, selectors, max, scan, series, outputs);
        long took = System.nanoTime() - started;
        queryTime.record(took, java.util.concurrent.TimeUnit.NANOSECONDS);
        queryRead.increment(scan.read());
        long last = slowLogged.get();
        if (took >= SLOW_READ_NANOS && started - last >= SLOW_LOG_EVERY_NANOS && slowLogged.compareAndSet(last, started)) {
            log.info("/api/v1/series {} read {} store entries here in {} ms for {} matches (a selector that names its "
                    + "metric, or gives the literal start of its name, reads only those names)", selectors,
                    scan.read(), took / 1_000_000, out.size());
        }
        return out;
    }

    /**
     * The matching series and rule outputs in this processor's stores of the partitions given, as JSON objects: at
     * most {@code max}. Each partition's store is read on its own, and within it only the names the selectors may
     * select where the store is kept in order ({@link SeriesScan}).
     *
     * @param series the oplog partitions whose series are read
     * @param outputs the window stage's partitions whose rule outputs are read
     * @throws InvalidStateStoreException when one of them is not served here by an active task (a rebalance moved it)
     */
    private List<String> local(KafkaStreams s, List<SeriesSelector> selectors, int max, SeriesScan scan,
            Set<Integer> series, Set<Integer> outputs) {
        List<String> out = new ArrayList<>();
        BiPredicate<byte[], Supplier<SeriesState>> add = (bytes, state) -> {
            SeriesKey key = SeriesKey.parse(bytes);
            if (selectors.stream().anyMatch(sel -> sel.matches(key))) {
                SeriesState st = state.get();
                out.add(item(key, "series", Numbers.format(st.getLastValue()), "\"timestamp_ms\":"
                        + st.getLastTimestampMs() + ",\"samples\":" + st.getSampleCount()));
            }
            return out.size() < max;
        };
        for (int p : series) {
            if (seriesInHashMap) {
                for (KeyValue<byte[], byte[]> kv : hashed(s, p, scan)) {
                    if (!add.test(kv.key, () -> Codecs.SERIES_STATE.decode(kv.value))) {
                        return out;
                    }
                }
            } else if (!scan.forEach(ProcessorTopology.<SeriesState>queryable(s, ProcessorTopology.SERIES_STATE_STORE, p),
                    (bytes, state) -> add.test(bytes, () -> state))) {
                return out;
            }
        }
        for (int p : outputs) {
            ReadOnlyKeyValueStore<byte[], Aggregate> latest = ProcessorTopology.queryable(s, WindowStage.LATEST_STORE, p);
            boolean more = scan.forEach(latest, (bytes, a) -> {
                SeriesKey key = SeriesKey.parse(a.getSeries());
                if (selectors.stream().anyMatch(sel -> sel.matches(key))) {
                    StringBuilder values = new StringBuilder("{");
                    new TreeMap<>(a.getValues()).forEach((k, v) -> values.append(values.length() > 1 ? "," : "")
                            .append(Json.quote(k)).append(':').append(Json.quote(Numbers.format(v))));
                    out.add(item(key, "output", Numbers.format(a.getValue()), "\"window_start_ms\":" + a.getWindowStartMs()
                            + ",\"window_end_ms\":" + a.getWindowEndMs() + ",\"samples\":" + a.getSampleCount()
                            + ",\"values\":" + values.append('}')));
                }
                return out.size() < max;
            });
            if (!more) {
                return out;
            }
        }
        return out;
    }

    /**
     * The entries of partition {@code p}'s series' state, held in a hash map, whose keys {@code scan} admits, as bytes:
     * the store checks every key and hands back only those, so only their values are decoded.
     */
    private static List<KeyValue<byte[], byte[]>> hashed(KafkaStreams s, int p, SeriesScan scan) {
        StateQueryResult<List<KeyValue<byte[], byte[]>>> answer = s.query(StateQueryRequest
                .inStore(ProcessorTopology.SERIES_STATE_STORE).withQuery(new KeyFilterQuery(scan::read))
                .withPartitions(Set.of(p)).requireActive());
        QueryResult<List<KeyValue<byte[], byte[]>>> result = answer.getPartitionResults().get(p);
        if (result == null || result.isFailure()) {
            throw new InvalidStateStoreException("partition " + p + " of " + ProcessorTopology.SERIES_STATE_STORE
                    + " cannot be read here" + (result == null ? "" : ": " + result.getFailureMessage()));
        }
        return result.getResult();
    }

    /** The partitions of {@code topic} that {@code m}'s processor runs active tasks for (none for a null topic). */
    private static Set<Integer> partitionsOf(StreamsMetadata m, String topic) {
        Set<Integer> out = new TreeSet<>();
        for (TopicPartition tp : m.topicPartitions()) {
            if (tp.topic().equals(topic)) {
                out.add(tp.partition());
            }
        }
        return out;
    }

    /** The partitions of {@code topic} the group's metadata gives this processor. */
    private Set<Integer> owned(KafkaStreams s, String topic) {
        for (StreamsMetadata m : s.metadataForAllStreamsClients()) {
            if (host(m.hostInfo()).equals(address)) {
                return partitionsOf(m, topic);
            }
        }
        return new TreeSet<>();
    }

    /** The partitions listed in the parameter {@code name} ({@code 1,3,5}; empty for none), or {@code absent}. */
    private static Set<Integer> partitionsParam(HttpExchange exchange, String name, Set<Integer> absent) {
        List<String> values = exchange.queryValues(name);
        if (values.isEmpty()) {
            return absent;
        }
        Set<Integer> out = new TreeSet<>();
        for (String p : values.get(values.size() - 1).split(",")) {
            if (!p.isBlank()) {
                out.add(Integer.parseInt(p.strip()));
            }
        }
        return out;
    }

    private static String join(Set<Integer> partitions) {
        return partitions.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
    }

    private static String item(SeriesKey key, String kind, String value, String rest) {
        StringBuilder labels = new StringBuilder("{\"__name__\":").append(Json.quote(key.name()));
        key.labels().forEach((n, v) -> labels.append(',').append(Json.quote(n)).append(':').append(Json.quote(v)));
        return "{\"kind\":\"" + kind + "\",\"tenant\":" + Json.quote(key.tenant()) + ",\"labels\":" + labels.append('}')
                + ",\"value\":" + Json.quote(value) + "," + rest + "}";
    }

    /** The series of {@code ?series=}: canonical ({@code tenant/name{…}}), or without a tenant for the default one. */
    private static SeriesKey seriesKey(List<String> values) {
        if (values.size() != 1) {
            throw new IllegalArgumentException("give one series, e.g. series=up{job=\"api\"} (or team-a/up{job=\"api\"})");
        }
        String text = values.get(0);
        int brace = text.indexOf('{');
        int slash = text.indexOf('/');
        boolean hasTenant = slash >= 0 && (brace < 0 || slash < brace);
        return SeriesKey.parse(hasTenant ? text : Naming.DEFAULT_TENANT + "/" + text);
    }

    private String selfJson() {
        Self s = self.get();
        return "{\"address\":" + Json.quote(address) + ",\"state\":" + Json.quote(s.state()) + ",\"lag\":" + s.lag()
                + ",\"restoring\":" + s.restoring() + "}";
    }

    private static String partitions(Collection<TopicPartition> partitions, String topic) {
        return partitions.stream().filter(tp -> tp.topic().equals(topic)).map(TopicPartition::partition).sorted()
                .map(String::valueOf).collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }

    private KafkaStreams running(HttpExchange exchange) {
        KafkaStreams s = streams.get();
        if (s == null || s.state() != KafkaStreams.State.RUNNING) {
            error(exchange, 503, "unavailable", "the processor is " + (s == null ? "starting" : s.state())
                    + "; its cluster view and state are served once it runs");
            return null;
        }
        return s;
    }

    private static String fetch(String peer, String path) {
        try {
            HttpResponse<String> r = io.caiman.core.http.ResponseDeadline.send(HTTP, HttpRequest.newBuilder(
                    URI.create("http://" + peer + path)).timeout(FORWARD_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** A processor's advertised address, {@code host:port}. */
    public static String host(HostInfo h) {
        return h.host() + ":" + h.port();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void ok(HttpExchange exchange, String json) {
        exchange.respond(200, "application/json", (json + "\n").getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private static void error(HttpExchange exchange, int status, String type, String message) {
        exchange.respond(status, "application/json", ("{\"status\":\"error\",\"errorType\":" + Json.quote(type)
                + ",\"error\":" + Json.quote(message) + "}\n").getBytes(StandardCharsets.UTF_8), Map.of());
    }
}
