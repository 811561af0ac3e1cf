package io.caiman.core.config;

import static io.caiman.core.config.Setting.optional;
import static io.caiman.core.config.Setting.required;

import io.caiman.core.model.Naming;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every setting of a Caiman deployment, declared once. The loader reads and checks files against these
 * declarations, environment variables and flags are named after them, and {@code docs/config.md} is
 * generated from them ({@code caiman config docs}).
 */
public final class CaimanConfigDef {

    private CaimanConfigDef() {}

    // ---- clusters[] ----
    public static final String CLUSTERS = "clusters";

    public static final Setting<String> CLUSTER_NAME = required("name", SettingType.STRING,
            "The cluster's name. It namespaces everything the cluster owns: Kafka topics are prefixed `<name>.` "
                    + "(`<name>.oplog`), the processors' Streams `application.id` is `<name>-processor`, and "
                    + "ZooKeeper paths live under `/caiman/<name>`.")
            .checkedBy(Setting.Rule.matches("[a-zA-Z0-9_-]{1,200}", "1 to 200 of a-z A-Z 0-9 _ -"));
    public static final Setting<String> CLUSTER_TYPE = required("type", SettingType.oneOf("oplog", "sharedlock"),
            "`oplog`: the cluster receives and distributes metrics through a Kafka topic; `servers` are Kafka "
                    + "bootstrap servers. `sharedlock`: the cluster coordinates crawls through ZooKeeper locks; "
                    + "`servers` are the ZooKeeper ensemble.");
    public static final Setting<List<HostPort>> CLUSTER_SERVERS = required("servers",
            SettingType.listOf(SettingType.HOST_PORT),
            "The Kafka bootstrap servers (`oplog`) or ZooKeeper servers (`sharedlock`). In Alligator's own "
                    + "config this listed the peer nodes; in Caiman it names the Kafka or ZooKeeper cluster.")
            .checkedBy(Setting.Rule.notEmpty());
    public static final Setting<Long> CLUSTER_SIZE = optional("size", SettingType.LONG, 1000L,
            "How many records the oplog keeps, as in Alligator. Kafka counts bytes, not records, so Caiman "
                    + "translates it: `retention.bytes` per partition = ceil(`size` / `partitions`) x `record_bytes`. "
                    + "Kafka never deletes a partition's active segment, so in practice a partition also keeps "
                    + "up to one segment more. Ignored when `retention_bytes` is set (setting both is an error).")
            .checkedBy(Setting.Rule.atLeastLong(1));
    public static final Setting<Integer> CLUSTER_PARTITIONS = optional("partitions", SettingType.INT, 12,
            "The oplog topic's partition count: the most processors that can share the work. Fixed once the "
                    + "topic exists, because the sharding function depends on it; Caiman refuses to start when "
                    + "the existing topic differs.")
            .checkedBy(Setting.Rule.between(1, 10_000));
    public static final Setting<List<String>> CLUSTER_SHARDING_KEY = optional("sharding_key",
            SettingType.listOf(SettingType.STRING), List.of("__name__"),
            "The label names whose values choose a series' oplog partition, in order. `__name__` is the "
                    + "metric name. Every series with the same values lands on the same partition "
                    + "(docs/sharding.md gives the exact function).")
            .checkedBy(new Setting.Rule<>("label names (or __name__), at least one", v -> {
                if (v.isEmpty()) {
                    return "must list at least one label name";
                }
                for (String name : v) {
                    if (!name.equals("__name__") && Naming.validateLabelName(name) != null) {
                        return "must be label names: " + Naming.validateLabelName(name);
                    }
                }
                return null;
            }));
    public static final Setting<Integer> CLUSTER_REPLICA_FACTOR = optional("replica_factor", SettingType.INT, 3,
            "The oplog's replication factor. Writes wait for `min.insync.replicas` = max(1, replica_factor - 1) "
                    + "copies (acks=all); processors keep replica_factor - 1 standby copies of their state, and "
                    + "their changelog and repartition topics are replicated the same way.")
            .checkedBy(Setting.Rule.between(1, 32_767));
    public static final Setting<Duration> CLUSTER_RETENTION_TIME = optional("retention_time", SettingType.DURATION,
            Duration.ofDays(7), "How long the oplog keeps every sample (`min.compaction.lag.ms`): a replay of "
                    + "this much history sees each sample that was accepted, unless `size` removed it first.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Duration> CLUSTER_LATEST_RETENTION_TIME = optional("latest_retention_time",
            SettingType.DURATION, Duration.ofDays(7), "How much longer than `retention_time` the oplog keeps the "
                    + "newest sample of each series (compaction keeps it; `retention.ms` = retention_time + "
                    + "latest_retention_time). 0 keeps nothing beyond retention_time.")
            .checkedBy(Setting.Rule.notNegative());
    public static final Setting<Long> CLUSTER_RETENTION_BYTES = optional("retention_bytes", SettingType.SIZE_BYTES,
            null, "`retention.bytes` per oplog partition, set directly instead of derived from `size`.")
            .checkedBy(Setting.Rule.atLeastLong(1));
    public static final Setting<Long> CLUSTER_RECORD_BYTES = optional("record_bytes", SettingType.SIZE_BYTES, 100L,
            "The stored size of one oplog record assumed when `size` is translated into bytes.")
            .checkedBy(Setting.Rule.atLeastLong(1));
    public static final Setting<String> CLUSTER_OPLOG = optional("oplog", SettingType.STRING, null,
            "For a `sharedlock` cluster: the `oplog` cluster its crawls write samples to. May be left out when "
                    + "exactly one oplog cluster is defined.");

    // ---- entrypoints[] ----
    public static final String ENTRYPOINTS = "entrypoints";

    public static final Setting<String> ENTRYPOINT_PROTOCOL = required("protocol",
            SettingType.oneOf("http", "tcp", "udp"),
            "`http`: Caiman's HTTP ingest API (remote write, Prometheus text, Pushgateway, Influx, OTLP; and "
                    + "`/metrics`, `/-/healthy`, `/-/ready`). `tcp`, `udp`: line listeners (Alligator's raw "
                    + "entrypoints) for the `format` below.");
    public static final Setting<String> ENTRYPOINT_FORMAT = optional("format",
            SettingType.oneOf("auto", "graphite", "influx", "prometheus", "statsd"), "auto",
            "For `tcp` and `udp` listeners: what the lines are. `auto` (Alligator's raw listener) tells "
                    + "Prometheus text, Graphite plaintext and Influx line protocol apart line by line; `graphite` "
                    + "(port 2003 by convention), `influx`, `prometheus` and `statsd` (port 8125; DogStatsD tags) "
                    + "take one format. `http` listeners take every format on its own path and must leave this "
                    + "`auto`.");
    public static final Setting<HostPort> ENTRYPOINT_LISTEN = required("listen", SettingType.HOST_PORT,
            "The address the listener binds; a bare port binds every interface.");
    public static final Setting<String> ENTRYPOINT_CLUSTER = required("cluster", SettingType.STRING,
            "The `oplog` cluster that samples received here are written to.");
    public static final Setting<String> ENTRYPOINT_TLS_CERT_FILE = optional("tls_cert_file", SettingType.STRING, null,
            "For `http` listeners: serve HTTPS with this PEM certificate (chain), with `tls_key_file`.");
    public static final Setting<String> ENTRYPOINT_TLS_KEY_FILE = optional("tls_key_file", SettingType.STRING, null,
            "The PEM private key (PKCS#8, `BEGIN PRIVATE KEY`) of `tls_cert_file`; RSA or EC.");
    public static final Setting<HostPort> ENTRYPOINT_INSTANCE = optional("instance", SettingType.HOST_PORT, null,
            "The address this listener advertises (recorded as the gateway in every sample's origin). "
                    + "Defaults to `listen`.");

    // ---- aggregate[] ----
    public static final String AGGREGATE = "aggregate";

    public static final Setting<String> AGGREGATE_KIND = required("kind",
            SettingType.oneOf("prometheus", "elasticsearch", "http"),
            "What the target is: `prometheus` (scrape the text format or OpenMetrics), `http` (up, status and "
                    + "latency of any URL), `elasticsearch` (cluster health and node stats under the URL, named as "
                    + "elasticsearch_exporter names them). docs/crawlers.md says what each crawl writes.");
    public static final Setting<java.net.URI> AGGREGATE_URL = optional("url", SettingType.URL, null,
            "The target's URL. Give either `url` or `file_sd`.");
    public static final Setting<List<String>> AGGREGATE_FILE_SD = optional("file_sd",
            SettingType.listOf(SettingType.STRING), List.of(),
            "Prometheus `file_sd` files (JSON `.json`, YAML `.yml`/`.yaml`; a `*` glob in the file name) listing "
                    + "targets instead of `url`: every `host:port` in them becomes a target with this entry's other "
                    + "settings, and the labels of its group (`__scheme__` and `__metrics_path__` shape the URL; "
                    + "other `__` labels are dropped). Paths are relative to the working directory. Crawlers re-read "
                    + "the files when they change (`crawler.file_sd_refresh_interval`); a file that cannot be read "
                    + "keeps its last good targets, and the problem is logged.");
    public static final Setting<String> AGGREGATE_CLUSTER = required("cluster", SettingType.STRING,
            "The `sharedlock` cluster whose locks make each crawl of this target happen once.");
    public static final Setting<HostPort> AGGREGATE_INSTANCE = optional("instance", SettingType.HOST_PORT, null,
            "The address of the crawler node, as Alligator's `instance=`.");
    public static final Setting<Duration> AGGREGATE_INTERVAL = optional("interval", SettingType.DURATION,
            Duration.ofSeconds(15), "How often the target is crawled; slots are aligned to the epoch.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Duration> AGGREGATE_TIMEOUT = optional("timeout", SettingType.DURATION,
            Duration.ofSeconds(10), "How long one crawl may take, from the request to the last byte of the answer.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<String> AGGREGATE_JOB = optional("job", SettingType.STRING, null,
            "The `job` label of every sample of this target, as a Prometheus scrape config's `job_name`. "
                    + "Defaults to the kind (`prometheus`, `elasticsearch`, `http`).");
    public static final Setting<Map<String, String>> AGGREGATE_LABELS = optional("labels", SettingType.PROPERTIES,
            Map.of(), "Labels added to every sample of this target, after `job` and `instance` (the URL's "
                    + "host:port). A scraped sample's own label of the same name is kept as `exported_<name>`, as "
                    + "Prometheus does without `honor_labels`.")
            .checkedBy(Setting.Rule.keys(Naming::validateLabelName, "label names"));
    public static final Setting<Map<String, String>> AGGREGATE_HEADERS = optional("headers", SettingType.PROPERTIES,
            Map.of(), "HTTP headers sent with every crawl, e.g. `Authorization: Bearer …`.");
    public static final Setting<String> AGGREGATE_TENANT = optional("tenant", SettingType.STRING, null,
            "The tenant the target's samples belong to. Defaults to `gateway.default_tenant`.");

    public static final Setting<String> AGGREGATE_TLS_CA_FILE = optional("tls_ca_file", SettingType.STRING, null,
            "PEM certificates of the CAs that sign the target's HTTPS certificate, trusted instead of the JDK's "
                    + "(Prometheus' `tls_config.ca_file`).");
    public static final Setting<String> AGGREGATE_TLS_CERT_FILE = optional("tls_cert_file", SettingType.STRING, null,
            "A PEM client certificate (chain) the crawl presents, for targets that ask for one; with `tls_key_file`.");
    public static final Setting<String> AGGREGATE_TLS_KEY_FILE = optional("tls_key_file", SettingType.STRING, null,
            "The unencrypted PKCS#8 PEM key of `tls_cert_file`.");
    public static final Setting<Boolean> AGGREGATE_TLS_INSECURE_SKIP_VERIFY = optional("tls_insecure_skip_verify",
            SettingType.BOOLEAN, false, "Accept any server certificate, for any host name. Only for tests and labs: "
                    + "anyone on the path can then read and change what is crawled.");

    // ---- stream_aggregation[] ----
    public static final String STREAM_AGGREGATION = "stream_aggregation";

    public static final Setting<String> RULE_NAME = optional("name", SettingType.STRING, null,
            "A name for the rule in logs and in the `rule` label of the processor's metrics. Defaults to the rule's id "
                    + "(12 hex digits of a hash of its definition; docs/processors.md).")
            .checkedBy(Setting.Rule.matches("[A-Za-z0-9_.:-]{1,100}", "1 to 100 of A-Z a-z 0-9 _ . : -"));
    public static final Setting<String> RULE_CLUSTER = optional("cluster", SettingType.STRING, null,
            "The `oplog` cluster whose samples the rule aggregates. May be left out when exactly one is defined.");
    public static final Setting<String> RULE_MATCH = required("match", SettingType.STRING,
            "A Prometheus series selector choosing the input series, e.g. `{__name__=~\"http_.*\", job=\"api\"}` "
                    + "or `http_requests_total`.")
            .checkedBy(new Setting.Rule<>("a series selector", v -> {
                try {
                    io.caiman.core.model.SeriesSelector.parse(v);
                    return null;
                } catch (IllegalArgumentException e) {
                    return "must be a series selector: " + e.getMessage();
                }
            }));
    public static final Setting<Duration> RULE_INTERVAL = required("interval", SettingType.DURATION,
            "The window length. Windows are aligned to the interval since the epoch (a 1m window starts on the "
                    + "minute), by the samples' own timestamps.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<List<String>> RULE_BY = optional("by", SettingType.listOf(SettingType.STRING), List.of(),
            "Group the input series by their metric name and these labels; the output series carry only them.")
            .checkedBy(Setting.Rule.each(Naming::validateLabelName, "label names"));
    public static final Setting<List<String>> RULE_WITHOUT = optional("without", SettingType.listOf(SettingType.STRING),
            List.of(), "Group by every label except these (and the metric name). Not with `by`; with neither, a "
                    + "group is one metric name.")
            .checkedBy(Setting.Rule.each(Naming::validateLabelName, "label names"));
    public static final Setting<List<String>> RULE_OUTPUTS = required("outputs", SettingType.listOf(SettingType.STRING),
            "What each window computes per group: `count_samples`, `count_series`, `sum_samples`, `min`, `max`, "
                    + "`avg`, `last`, `total` and `increase` (counters; resets handled), `rate_sum`, `rate_avg`, "
                    + "`stddev`, `stdvar`, `quantiles(φ, …)` (a KLL sketch; docs/processors.md states its error), "
                    + "`histogram_bucket` or `histogram_bucket(bound, …)` (cumulative `le` buckets; Prometheus' "
                    + "default bounds without arguments). An output series is named "
                    + "`<metric>:<interval>[_by_<labels>|_without_<labels>]_<output>`, as vmagent names them.")
            .checkedBy(new Setting.Rule<>("outputs", v -> {
                if (v.isEmpty()) {
                    return "must list at least one output";
                }
                java.util.Set<String> seen = new java.util.HashSet<>();
                for (String o : v) {
                    try {
                        if (!seen.add(RuleConfig.Output.parse(o).name())) {
                            return "lists " + RuleConfig.Output.parse(o).name() + " twice";
                        }
                    } catch (IllegalArgumentException e) {
                        return e.getMessage();
                    }
                }
                return null;
            }));
    public static final Setting<Duration> RULE_GRACE = optional("grace", SettingType.DURATION, Duration.ofSeconds(5),
            "How long after a window's end its late samples still count. A window closes when every oplog "
                    + "partition has brought a sample this much past its end, or has nothing to read (or by the wall "
                    + "clock, see `processor.idle_close`); a "
                    + "sample of a closed window is counted in `caiman_processor_rule_late_samples_total`, not "
                    + "aggregated.")
            .checkedBy(Setting.Rule.notNegative());
    public static final Setting<Duration> RULE_STALENESS_INTERVAL = optional("staleness_interval", SettingType.DURATION,
            null, "After this long without a sample (by sample time), a series starts afresh: a counter's next "
                    + "sample is its new baseline, and a group's outputs leave `/metrics`. Defaults to twice "
                    + "`interval`. A Prometheus stale marker ends a series at once.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Duration> RULE_DEDUP_INTERVAL = optional("dedup_interval", SettingType.DURATION,
            Duration.ZERO, "Keep one sample per series per this long (the first, by the slot its timestamp falls "
                    + "in; aligned to the epoch), as vmagent's deduplication. 0 keeps every sample.")
            .checkedBy(Setting.Rule.notNegative());
    public static final Setting<Boolean> RULE_KEEP_INPUT = optional("keep_input", SettingType.BOOLEAN, false,
            "Whether the processor's `/metrics` still shows the input series this rule matches (their latest "
                    + "value). A series matched by several rules is shown when one of them keeps its input. Input "
                    + "samples stay in the oplog either way.");

    // ---- kafka ----
    public static final String KAFKA = "kafka";

    public static final Setting<Map<String, String>> KAFKA_CLIENT = optional("client", SettingType.PROPERTIES, Map.of(),
            "Kafka client properties for every client Caiman creates (security, timeouts), e.g. "
                    + "`security.protocol: SASL_SSL`.");
    public static final Setting<Map<String, String>> KAFKA_PRODUCER = optional("producer", SettingType.PROPERTIES,
            Map.of(), "Extra properties for the oplog producer (e.g. `linger.ms`). Caiman's guarantees pin "
                    + "`acks=all` and `enable.idempotence=true`; setting them otherwise is an error.");
    public static final Setting<Map<String, String>> KAFKA_CONSUMER = optional("consumer", SettingType.PROPERTIES,
            Map.of(), "Extra properties for plain consumers (replay, tools).");
    public static final Setting<Map<String, String>> KAFKA_STREAMS = optional("streams", SettingType.PROPERTIES,
            Map.of(), "Extra Kafka Streams properties for processors. `processing.guarantee` is pinned to "
                    + "`exactly_once_v2`; the processors' producer writes lz4 batches unless "
                    + "`producer.compression.type` is set here.");
    public static final Setting<Map<String, String>> KAFKA_ADMIN = optional("admin", SettingType.PROPERTIES,
            Map.of(), "Extra properties for the admin client (topic creation and checks).");

    // ---- zookeeper ----
    public static final String ZOOKEEPER = "zookeeper";

    public static final Setting<Duration> ZK_SESSION_TIMEOUT = optional("session_timeout", SettingType.DURATION,
            Duration.ofSeconds(10), "ZooKeeper session timeout. It bounds how long a crashed lock holder blocks "
                    + "a crawl slot, so keep it well under the shortest crawl interval.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Duration> ZK_CONNECTION_TIMEOUT = optional("connection_timeout", SettingType.DURATION,
            Duration.ofSeconds(5), "How long to wait for a ZooKeeper connection.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Integer> ZK_RETRIES = optional("retries", SettingType.INT, 5,
            "How many times a failed ZooKeeper operation is retried, with exponential backoff.")
            .checkedBy(Setting.Rule.between(0, 29));

    // ---- gateway ----
    public static final String GATEWAY = "gateway";

    public static final Setting<Long> GATEWAY_MAX_REQUEST_BYTES = optional("max_request_bytes", SettingType.SIZE_BYTES,
            32L << 20, "The largest request body accepted (after decompression); larger ones get 413.")
            .checkedBy(Setting.Rule.atLeastLong(1));
    public static final Setting<Duration> GATEWAY_ACK_TIMEOUT = optional("ack_timeout", SettingType.DURATION,
            Duration.ofSeconds(30), "How long a request waits for Kafka to acknowledge all of its samples "
                    + "before it is answered 503 (Retry-After) so the sender retries.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Long> GATEWAY_MAX_INFLIGHT_BYTES = optional("max_inflight_bytes", SettingType.SIZE_BYTES,
            128L << 20, "How many bytes of requests a gateway holds at once (bodies being read, records waiting for "
                    + "Kafka's acknowledgement). Past it, new requests are answered 503 with Retry-After at once "
                    + "instead of queueing, so a slow or absent Kafka cannot make the gateway grow without bound.")
            .checkedBy(Setting.Rule.atLeastLong(1024));
    public static final Setting<Integer> GATEWAY_MAX_SAMPLES_PER_REQUEST = optional("max_samples_per_request",
            SettingType.INT, 1_000_000, "The most samples one request may carry; more is refused with 400.")
            .checkedBy(Setting.Rule.atLeast(1));
    public static final Setting<Integer> GATEWAY_MAX_LABELS_PER_SERIES = optional("max_labels_per_series",
            SettingType.INT, 40, "The most labels (besides the metric name) a series may carry; more is refused "
                    + "with 400 naming the series.")
            .checkedBy(Setting.Rule.between(1, 10_000));
    public static final Setting<Integer> GATEWAY_MAX_LABEL_NAME_LENGTH = optional("max_label_name_length",
            SettingType.INT, 1024, "The longest label or metric name accepted, in characters.")
            .checkedBy(Setting.Rule.atLeast(1));
    public static final Setting<Integer> GATEWAY_MAX_LABEL_VALUE_LENGTH = optional("max_label_value_length",
            SettingType.INT, 2048, "The longest label value accepted, in characters.")
            .checkedBy(Setting.Rule.atLeast(1));
    public static final Setting<String> GATEWAY_TENANT_HEADER = optional("tenant_header", SettingType.STRING,
            "X-Scope-OrgID", "The request header that names the tenant, as Grafana Mimir reads it.");
    public static final Setting<String> GATEWAY_DEFAULT_TENANT = optional("default_tenant", SettingType.STRING,
            Naming.DEFAULT_TENANT, "The tenant of requests that name none.")
            .checkedBy(new Setting.Rule<>("a valid tenant id", Naming::validateTenant));
    public static final Setting<Long> GATEWAY_TENANT_SAMPLE_RATE = optional("tenant_sample_rate", SettingType.LONG, 0L,
            "Samples per second each tenant may send through one gateway, on average; past it requests are "
                    + "answered 429 with Retry-After (TCP lines wait, UDP datagrams are dropped and counted). 0: no "
                    + "limit. Per gateway, as Mimir's local strategy: N gateways admit N times this.")
            .checkedBy(Setting.Rule.atLeastLong(0));
    public static final Setting<Long> GATEWAY_TENANT_SAMPLE_BURST = optional("tenant_sample_burst", SettingType.LONG, 0L,
            "The most samples a tenant may send at once above its rate; 0: the rate (one second's worth).")
            .checkedBy(Setting.Rule.atLeastLong(0));
    public static final Setting<Map<String, String>> GATEWAY_TENANT_SAMPLE_RATES = optional("tenant_sample_rates",
            SettingType.PROPERTIES, Map.of(), "Per-tenant rates that replace `tenant_sample_rate` "
                    + "(`{team-a: 50000, batch: 0}`); the burst scales with the rate.")
            .checkedBy(new Setting.Rule<>("tenant: samples per second",
                    m -> m.entrySet().stream().map(e -> Naming.validateTenant(e.getKey()) != null
                            ? Naming.validateTenant(e.getKey())
                            : e.getValue().matches("[0-9]+") ? null : "the rate of " + e.getKey() + " must be a whole number")
                            .filter(java.util.Objects::nonNull).findFirst().orElse(null)));
    public static final Setting<String> GATEWAY_GRAPHITE_MAPPING_FILE = optional("graphite_mapping_file",
            SettingType.STRING, null, "A file of rules that turn Graphite paths into names and labels, in the "
                    + "format of Prometheus' graphite_exporter (`mappings: [{match, match_type, name, labels, "
                    + "action}]`). Without it, a path's invalid characters become `_`.");
    public static final Setting<List<Double>> GATEWAY_STATSD_BUCKETS = optional("statsd_buckets",
            SettingType.listOf(SettingType.NUMBER), io.caiman.core.wire.statsd.StatsdParser.DEFAULT_BUCKETS,
            "The histogram buckets (upper bounds, `le`) of StatsD timers (`ms`, observed in seconds), histograms "
                    + "(`h`) and distributions (`d`). The default is Prometheus' default buckets.")
            .checkedBy(new Setting.Rule<>("increasing numbers, at least one", v -> {
                if (v.isEmpty()) {
                    return "must list at least one bucket";
                }
                for (int i = 1; i < v.size(); i++) {
                    if (v.get(i) <= v.get(i - 1)) {
                        return "must be increasing: " + v.get(i) + " follows " + v.get(i - 1);
                    }
                }
                return null;
            }));
    public static final Setting<Long> GATEWAY_MAX_LINE_BYTES = optional("max_line_bytes", SettingType.SIZE_BYTES,
            64L << 10, "The longest line a `tcp` or `udp` listener takes (and the largest datagram); a longer "
                    + "line is counted as refused and skipped up to its end.")
            .checkedBy(new Setting.Rule<>("from 256 bytes to 16 MiB",
                    v -> v < 256 || v > (16L << 20) ? "must be from 256 bytes to 16 MiB" : null));
    public static final Setting<String> GATEWAY_AUTH_FILE = optional("auth_file", SettingType.STRING, null,
            "A file of credentials, each bound to one tenant (`users: [{tenant, bearer_token}, {tenant, username, "
                    + "password}]`). With it, every HTTP ingest request must carry one (`Authorization: Bearer`, "
                    + "`Token` or `Basic`; InfluxDB 1.x `u`/`p`), and is written as that credential's tenant. "
                    + "`/metrics` and the health endpoints stay open; `tcp` and `udp` listeners have no "
                    + "authentication. Read at start.");
    public static final Setting<Integer> GATEWAY_MAX_CONCURRENT_REQUESTS = optional("max_concurrent_requests",
            SettingType.INT, 32, "The most write requests each `http` entrypoint serves at once (of its 64 threads). "
                    + "Up to four times as many more wait for `max_request_wait`; past that they are answered 503 "
                    + "with Retry-After before their bodies are read, so a sender faster than the gateway's CPU is "
                    + "refused instead of queued. `/metrics` and the health checks are never held back.")
            .checkedBy(Setting.Rule.between(1, 63));
    public static final Setting<Duration> GATEWAY_MAX_REQUEST_WAIT = optional("max_request_wait", SettingType.DURATION,
            Duration.ofSeconds(1), "How long a write request may wait for one of the `max_concurrent_requests` "
                    + "before it is answered 503.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Long> GATEWAY_MIN_BODY_RATE = optional("min_body_rate", SettingType.SIZE_BYTES,
            io.caiman.core.http.HttpService.DEFAULT_MIN_BODY_RATE, "The slowest a request body may arrive on an "
                    + "`http` entrypoint, in bytes a second on average, once 5 s have passed since the request began. "
                    + "A slower body is answered 503 with Retry-After (a sender retries it) and its connection closed, "
                    + "so that slow or stalled connections cannot hold the `max_concurrent_requests` slots. 0 lets a "
                    + "body take any time.")
            .checkedBy(Setting.Rule.atLeastLong(0));
    public static final Setting<Integer> GATEWAY_MAX_CONNECTIONS = optional("max_connections", SettingType.INT, 256,
            "The most connections each `tcp` listener serves at once; more wait in the accept queue.")
            .checkedBy(Setting.Rule.atLeast(1));
    public static final Setting<Duration> GATEWAY_LINE_IDLE_TIMEOUT = optional("line_idle_timeout", SettingType.DURATION,
            Duration.ofMinutes(5), "How long a `tcp` listener's connection may send nothing before the gateway closes "
                    + "it (a line without its newline is taken as the last), so that senders gone without closing "
                    + "(a crashed host, a NAT that forgot the connection) do not hold the `max_connections` slots. "
                    + "Graphite and StatsD clients reconnect when they next send. 0 keeps idle connections open.")
            .checkedBy(Setting.Rule.notNegative());

    // ---- processor ----
    public static final String PROCESSOR = "processor";

    public static final Setting<String> PROCESSOR_CLUSTER = optional("cluster", SettingType.STRING, null,
            "The `oplog` cluster to process. May be left out when exactly one is defined.");
    public static final Setting<HostPort> PROCESSOR_LISTEN = optional("listen", SettingType.HOST_PORT,
            new HostPort("0.0.0.0", 9400), "The processor's HTTP address: `/metrics` (per-series state and "
                    + "self-metrics), `/-/healthy`, `/-/ready`.");
    public static final Setting<String> PROCESSOR_STATE_DIR = optional("state_dir", SettingType.STRING,
            "data/processor", "Where Kafka Streams keeps RocksDB state (and, with `state_store: memory`, only its "
                    + "checkpoints and locks). Losing it costs a restore from the changelog, never data.");
    public static final Setting<String> PROCESSOR_STATE_STORE = optional("state_store",
            SettingType.oneOf("rocksdb", "memory"), "rocksdb",
            "Where the state stores live. `rocksdb`: on disk under `state_dir`; a restarted processor restores only "
                    + "what its local copy lacks, and state may outgrow the heap. `memory`: in the heap, with no "
                    + "RocksDB read or write per sample, so 1.3 to 2.3 times the throughput (bench/RESULTS.md, 2026-12-07); every "
                    + "store is restored from its changelog whenever a processor starts or takes a partition over "
                    + "(unless it held a standby copy), and the heap must hold the state: about 250 bytes a series, "
                    + "450 with one rule (node_exporter-like series). Either way every change is in the changelog, "
                    + "committed with the input under exactly_once_v2: switching loses nothing, and restores.");
    public static final Setting<Duration> PROCESSOR_COMMIT_INTERVAL = optional("commit_interval", SettingType.DURATION,
            Duration.ofMillis(100), "How often processed input is committed (a Kafka transaction under "
                    + "exactly_once_v2): the latency from oplog to visible state.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<String> PROCESSOR_ON_BAD_RECORD = optional("on_bad_record",
            SettingType.oneOf("fail", "skip"), "fail",
            "What a processor does with an oplog record it cannot read (unknown schema, corrupt bytes): "
                    + "`fail` stops it so nothing is silently lost; `skip` logs the record's partition and "
                    + "offset, counts it in `caiman_processor_bad_records_total`, and goes on.");

    public static final Setting<Duration> PROCESSOR_SET_WINDOW = optional("set_window", SettingType.DURATION,
            Duration.ofSeconds(10), "StatsD sets count distinct members per window of this length, aligned to "
                    + "the epoch (StatsD's flush interval); a set series shows the count of its latest window.")
            .checkedBy(Setting.Rule.positive());

    public static final Setting<Duration> PROCESSOR_IDLE_CLOSE = optional("idle_close", SettingType.DURATION,
            Duration.ofSeconds(30), "Windows of `stream_aggregation` rules close when every oplog partition's samples "
                    + "have passed them. When a partition of the group stage has received nothing for this long (by "
                    + "the wall clock: no parts and no marks), its windows "
                    + "whose end plus grace has passed on the wall clock close anyway, so a quiet group is not held "
                    + "open. Keep it longer than a rebalance takes, or a replay's pause could close windows early.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Duration> PROCESSOR_RULE_FLUSH_INTERVAL = optional("rule_flush_interval",
            SettingType.DURATION, Duration.ofSeconds(1), "How often the per-series stage of `stream_aggregation` "
                    + "sends what it has added up (per rule, output group and window, kept in the store "
                    + "`rule-partials` and committed with the input) on to the group stage, which closes the windows. "
                    + "One record then carries many samples. It also sends them, with its mark (how far its samples "
                    + "have got), when a sample reaches the end plus grace of any rule's window, so a window does not "
                    + "wait for this to close; only the last parts of a partition whose samples stop do, and its mark "
                    + "that it is idle.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Duration> PROCESSOR_MAX_FUTURE = optional("max_future", SettingType.DURATION,
            Duration.ofMinutes(10), "A sample whose timestamp is more than this ahead of when the oplog accepted it is "
                    + "not aggregated by `stream_aggregation` rules (it is counted in "
                    + "`caiman_processor_rule_rejected_samples_total{reason=\"future\"}`): windows close by sample time, "
                    + "so one sender with a clock far ahead would otherwise close every open window.")
            .checkedBy(Setting.Rule.positive());

    public static final Setting<HostPort> PROCESSOR_ADVERTISE = optional("advertise", SettingType.HOST_PORT, null,
            "The address other processors and clients reach this processor's HTTP at (Kafka Streams' "
                    + "`application.server`): queries are forwarded there, and `/api/v1/cluster/peers` lists it. "
                    + "Defaults to `listen`, with this host's name when `listen` binds every interface.");
    public static final Setting<Integer> PROCESSOR_MIN_CLUSTER_SIZE = optional("min_cluster_size", SettingType.INT, 1,
            "Readiness waits until this many processors are in the group (or `cluster_wait` passed), as Alloy's "
                    + "cluster service does.")
            .checkedBy(Setting.Rule.atLeast(1));
    public static final Setting<Duration> PROCESSOR_CLUSTER_WAIT = optional("cluster_wait", SettingType.DURATION,
            Duration.ofSeconds(30), "How long readiness waits for `min_cluster_size` processors before it is "
                    + "satisfied with fewer.")
            .checkedBy(Setting.Rule.notNegative());
    public static final Setting<Long> PROCESSOR_READY_MAX_LAG = optional("ready_max_lag", SettingType.LONG, 10_000L,
            "Readiness holds only while the processor's input lag (the most records any of its partitions is "
                    + "behind) is at most this.")
            .checkedBy(Setting.Rule.atLeastLong(0));
    public static final Setting<Long> PROCESSOR_METRICS_MAX_SERIES = optional("metrics_max_series", SettingType.LONG,
            100_000L, "`/metrics` lists each series' last value and sample count while the processor's state holds at "
                    + "most this many series; past it, only a comment says there are more "
                    + "(`/api/v1/series` still answers), so that a scrape of a processor with millions of series stays "
                    + "small. 0: never listed.")
            .checkedBy(Setting.Rule.atLeastLong(0));
    public static final Setting<Integer> PROCESSOR_QUERY_MAX_SERIES = optional("query_max_series", SettingType.INT,
            10_000, "The most series and rule outputs one `/api/v1/series` answer holds: its `limit` when the query "
                    + "gives none (or 0), and the highest it may give. An answer cut short says so in `warnings`, as "
                    + "Prometheus' does, so no query can make a processor gather every series of the cluster.")
            .checkedBy(Setting.Rule.between(1, 10_000_000));

    public static final Setting<java.net.URI> PROCESSOR_REMOTE_WRITE_URL = optional("remote_write_url", SettingType.URL,
            null, "Push every closed window of the `stream_aggregation` rules to this Prometheus remote-write URL "
                    + "(Prometheus with `--web.enable-remote-write-receiver`, Mimir, VictoriaMetrics), read from "
                    + "`<cluster>.aggregates` by the consumer group `<cluster>-aggregates-remote-write`: each window once "
                    + "the receiver answered 2xx, at its end time; retried while the receiver answers 5xx or 429 or is "
                    + "down; a batch it refuses with another 4xx is logged with its answer and counted in "
                    + "`caiman_processor_remote_write_refused_samples_total`.");
    public static final Setting<Map<String, String>> PROCESSOR_REMOTE_WRITE_HEADERS = optional("remote_write_headers",
            SettingType.PROPERTIES, Map.of(), "HTTP headers sent with every push to `remote_write_url`, e.g. "
                    + "`Authorization: Bearer …`.");

    // ---- crawler ----
    public static final String CRAWLER = "crawler";

    public static final Setting<String> CRAWLER_CLUSTER = optional("cluster", SettingType.STRING, null,
            "The `sharedlock` cluster this crawler joins. May be left out when exactly one is defined.");
    public static final Setting<HostPort> CRAWLER_LISTEN = optional("listen", SettingType.HOST_PORT,
            new HostPort("0.0.0.0", 9500), "The crawler's HTTP address: `/metrics`, `/-/healthy`, `/-/ready`, "
                    + "`/api/v1/cluster/peers`, `/api/v1/crawls` (triggered crawls).");
    public static final Setting<String> CRAWLER_NODE = optional("node", SettingType.STRING, null,
            "This crawler's name among its peers (unique in the cluster). Defaults to `<host name>:<listen port>`.")
            .checkedBy(Setting.Rule.matches("[A-Za-z0-9_.:-]{1,200}", "1 to 200 of A-Z a-z 0-9 _ . : -"));
    public static final Setting<Integer> CRAWLER_LEASE_GROUPS = optional("lease_groups", SettingType.INT, 16,
            "Targets are hashed into this many groups. A crawler holds a group as a lease (one ZooKeeper lock) and "
                    + "commits the crawls of a group together (one Kafka transaction per `commit_interval`), so "
                    + "coordination costs do not grow with the number of targets. Also the crawl ledger's "
                    + "partition count: fixed once the ledger exists.")
            .checkedBy(Setting.Rule.between(1, 1000));
    public static final Setting<Duration> CRAWLER_COMMIT_INTERVAL = optional("commit_interval", SettingType.DURATION,
            Duration.ofSeconds(1), "How often a group's finished crawls are committed to the oplog and the ledger, "
                    + "in one transaction: the delay a crawled sample waits before readers see it.")
            .checkedBy(Setting.Rule.positive());
    public static final Setting<Integer> CRAWLER_MAX_CONCURRENT_CRAWLS = optional("max_concurrent_crawls",
            SettingType.INT, 512, "The most crawls one crawler runs at once; a due crawl waits for a free one.")
            .checkedBy(Setting.Rule.atLeast(1));
    public static final Setting<Long> CRAWLER_MAX_RESPONSE_BYTES = optional("max_response_bytes", SettingType.SIZE_BYTES,
            16L << 20, "The largest response body a crawl reads (after gzip); a larger one fails the crawl (up = 0).")
            .checkedBy(Setting.Rule.atLeastLong(1));
    public static final Setting<Integer> CRAWLER_MIN_CLUSTER_SIZE = optional("min_cluster_size", SettingType.INT, 1,
            "Readiness waits until this many crawlers are members of the cluster (or `cluster_wait` passed), as "
                    + "Alloy's cluster service does; leases are taken only then, so the first crawler does not take "
                    + "every group just to hand most back.")
            .checkedBy(Setting.Rule.atLeast(1));
    public static final Setting<Duration> CRAWLER_CLUSTER_WAIT = optional("cluster_wait", SettingType.DURATION,
            Duration.ofSeconds(30), "How long a crawler waits for `min_cluster_size` members before it starts "
                    + "crawling with fewer.")
            .checkedBy(Setting.Rule.notNegative());

    public static final Setting<Boolean> CRAWLER_AD_HOC_CRAWLS = optional("ad_hoc_crawls", SettingType.BOOLEAN, true,
            "Whether `POST /api/v1/crawls` may crawl a URL that is not a configured target. Anyone who can reach "
                    + "the crawler's HTTP address can then make it fetch any URL it can reach; turn this off when "
                    + "that address is not private.");

    public static final Setting<Duration> CRAWLER_FILE_SD_REFRESH_INTERVAL = optional("file_sd_refresh_interval",
            SettingType.DURATION, Duration.ofSeconds(5), "How often a crawler checks the `file_sd` files of "
                    + "`aggregate` for changes (their modification time and size) and re-reads the changed ones.")
            .checkedBy(Setting.Rule.positive());

    // ---- series ----
    public static final String SERIES = "series";

    public static final Setting<List<String>> SERIES_REPLICA_LABELS = optional("replica_labels",
            SettingType.listOf(SettingType.STRING), List.of("__replica__"),
            "Labels that name which member of an HA pair sent a sample. They are kept out of the series key, "
                    + "so both copies of a series land on one partition under one key.")
            .checkedBy(Setting.Rule.each(Naming::validateLabelName, "label names"));
    public static final Setting<Duration> SERIES_REPLICA_TIMEOUT = optional("replica_timeout", SettingType.DURATION,
            Duration.ofSeconds(30), "HA pairs: per series, processors aggregate the samples of one replica (the first "
                    + "seen) and switch to another only when the elected one has sent no sample for this long, by "
                    + "sample time (Mimir's HA tracker failover timeout, per series).")
            .checkedBy(Setting.Rule.positive());

    /** Every block, in the order the reference documents them. */
    public static final List<SettingGroup> GROUPS = List.of(
            new SettingGroup(CLUSTERS, true, "Kafka (oplog) and ZooKeeper (sharedlock) clusters, in Alligator's terms.",
                    List.of(CLUSTER_NAME, CLUSTER_TYPE, CLUSTER_SERVERS, CLUSTER_SIZE, CLUSTER_PARTITIONS,
                            CLUSTER_SHARDING_KEY, CLUSTER_REPLICA_FACTOR, CLUSTER_RETENTION_TIME, CLUSTER_LATEST_RETENTION_TIME,
                            CLUSTER_RETENTION_BYTES, CLUSTER_RECORD_BYTES, CLUSTER_OPLOG)),
            new SettingGroup(ENTRYPOINTS, true, "Gateway listeners, each feeding one oplog cluster.",
                    List.of(ENTRYPOINT_PROTOCOL, ENTRYPOINT_FORMAT, ENTRYPOINT_LISTEN, ENTRYPOINT_CLUSTER,
                            ENTRYPOINT_INSTANCE, ENTRYPOINT_TLS_CERT_FILE, ENTRYPOINT_TLS_KEY_FILE)),
            new SettingGroup(AGGREGATE, true, "Crawl targets, each crawled exactly once per interval through a "
                    + "sharedlock cluster.",
                    List.of(AGGREGATE_KIND, AGGREGATE_URL, AGGREGATE_CLUSTER, AGGREGATE_INSTANCE, AGGREGATE_INTERVAL,
                            AGGREGATE_TIMEOUT, AGGREGATE_JOB, AGGREGATE_LABELS, AGGREGATE_HEADERS, AGGREGATE_TENANT,
                            AGGREGATE_FILE_SD, AGGREGATE_TLS_CA_FILE, AGGREGATE_TLS_CERT_FILE, AGGREGATE_TLS_KEY_FILE,
                            AGGREGATE_TLS_INSECURE_SKIP_VERIFY)),
            new SettingGroup(KAFKA, false, "Kafka client settings passed through to the clients Caiman creates.",
                    List.of(KAFKA_CLIENT, KAFKA_PRODUCER, KAFKA_CONSUMER, KAFKA_STREAMS, KAFKA_ADMIN)),
            new SettingGroup(ZOOKEEPER, false, "The Curator client used for sharedlock clusters.",
                    List.of(ZK_SESSION_TIMEOUT, ZK_CONNECTION_TIMEOUT, ZK_RETRIES)),
            new SettingGroup(GATEWAY, false, "Ingest gateway limits and tenancy.",
                    List.of(GATEWAY_MAX_REQUEST_BYTES, GATEWAY_ACK_TIMEOUT, GATEWAY_MAX_INFLIGHT_BYTES,
                            GATEWAY_MAX_SAMPLES_PER_REQUEST, GATEWAY_MAX_LABELS_PER_SERIES, GATEWAY_MAX_LABEL_NAME_LENGTH,
                            GATEWAY_MAX_LABEL_VALUE_LENGTH, GATEWAY_TENANT_HEADER, GATEWAY_DEFAULT_TENANT,
                            GATEWAY_TENANT_SAMPLE_RATE, GATEWAY_TENANT_SAMPLE_BURST, GATEWAY_TENANT_SAMPLE_RATES,
                            GATEWAY_GRAPHITE_MAPPING_FILE, GATEWAY_STATSD_BUCKETS, GATEWAY_MAX_LINE_BYTES,
                            GATEWAY_MAX_CONNECTIONS, GATEWAY_LINE_IDLE_TIMEOUT, GATEWAY_MAX_CONCURRENT_REQUESTS,
                            GATEWAY_MAX_REQUEST_WAIT,
                            GATEWAY_MIN_BODY_RATE,
                            GATEWAY_AUTH_FILE)),
            new SettingGroup(PROCESSOR, false, "Stream processors.",
                    List.of(PROCESSOR_CLUSTER, PROCESSOR_LISTEN, PROCESSOR_STATE_DIR, PROCESSOR_STATE_STORE, PROCESSOR_COMMIT_INTERVAL,
                            PROCESSOR_ON_BAD_RECORD, PROCESSOR_SET_WINDOW, PROCESSOR_IDLE_CLOSE, PROCESSOR_MAX_FUTURE,
                            PROCESSOR_RULE_FLUSH_INTERVAL,
                            PROCESSOR_ADVERTISE, PROCESSOR_MIN_CLUSTER_SIZE, PROCESSOR_CLUSTER_WAIT,
                            PROCESSOR_READY_MAX_LAG, PROCESSOR_METRICS_MAX_SERIES, PROCESSOR_QUERY_MAX_SERIES,
                            PROCESSOR_REMOTE_WRITE_URL,
                            PROCESSOR_REMOTE_WRITE_HEADERS)),
            new SettingGroup(CRAWLER, false, "Crawlers: they share the `aggregate` targets of their sharedlock "
                    + "cluster and crawl each (target, interval slot) exactly once (docs/crawlers.md).",
                    List.of(CRAWLER_CLUSTER, CRAWLER_LISTEN, CRAWLER_NODE, CRAWLER_LEASE_GROUPS, CRAWLER_COMMIT_INTERVAL,
                            CRAWLER_MAX_CONCURRENT_CRAWLS, CRAWLER_MAX_RESPONSE_BYTES, CRAWLER_MIN_CLUSTER_SIZE,
                            CRAWLER_CLUSTER_WAIT, CRAWLER_AD_HOC_CRAWLS, CRAWLER_FILE_SD_REFRESH_INTERVAL)),
            new SettingGroup(STREAM_AGGREGATION, true, "Stream aggregation rules: what processors compute from the "
                    + "oplog, per window (docs/processors.md).",
                    List.of(RULE_NAME, RULE_CLUSTER, RULE_MATCH, RULE_INTERVAL, RULE_BY, RULE_WITHOUT, RULE_OUTPUTS,
                            RULE_GRACE, RULE_STALENESS_INTERVAL, RULE_DEDUP_INTERVAL, RULE_KEEP_INPUT)),
            new SettingGroup(SERIES, false, "How series are identified.",
                    List.of(SERIES_REPLICA_LABELS, SERIES_REPLICA_TIMEOUT)));

    static SettingGroup group(String key) {
        for (SettingGroup g : GROUPS) {
            if (g.key().equals(key)) {
                return g;
            }
        }
        return null;
    }
}
