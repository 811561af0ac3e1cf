package io.caiman.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    static final String VALID = String.join("\n",
            "clusters:",
            "  - name: repl",
            "    type: oplog",
            "    servers: [127.0.0.1:9092]",
            "    partitions: 6",
            "    replica_factor: 1",
            "entrypoints:",
            "  - protocol: http",
            "    listen: 127.0.0.1:9091",
            "    cluster: repl",
            "");

    static List<String> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "caiman.yaml");
            return List.of();
        } catch (ConfigException e) {
            return e.problems().stream().map(ConfigProblem::toString).toList();
        }
    }

    @Test
    void shouldLoadAValidFileWithDefaults() {
        CaimanConfig config = ConfigLoader.parse(VALID, "caiman.yaml");
        ClusterConfig repl = config.requireCluster("repl");
        assertThat(repl.type()).isEqualTo(ClusterConfig.Type.OPLOG);
        assertThat(repl.connectString()).isEqualTo("127.0.0.1:9092");
        assertThat(repl.shardingKey()).containsExactly("__name__");
        assertThat(repl.size()).isEqualTo(1000);
        assertThat(repl.retentionTime()).isEqualTo(Duration.ofDays(7));
        assertThat(repl.oplogTopic()).isEqualTo("repl.oplog");
        assertThat(repl.processorApplicationId()).isEqualTo("repl-processor");
        assertThat(repl.zookeeperChroot()).isEqualTo("/caiman/repl");
        assertThat(repl.minInsyncReplicas()).isEqualTo(1);
        assertThat(config.entrypoints().get(0).instance()).isEqualTo(new HostPort("127.0.0.1", 9091));
        assertThat(config.processor().cluster()).isEqualTo("repl");
        assertThat(config.replicaLabels()).containsExactly("__replica__");
        assertThat(config.gateway().maxRequestBytes()).isEqualTo(32L << 20);
    }

    @Test
    void shouldReadStatsdBucketsAndRefuseOnesThatDoNotIncrease() {
        CaimanConfig config = ConfigLoader.parse(VALID + "gateway:\n  statsd_buckets: [0.5, 1e1]\n", "caiman.yaml");
        assertThat(config.gateway().statsdBuckets()).containsExactly(0.5, 10.0);
        assertThat(ConfigLoader.parse(VALID, "caiman.yaml").gateway().statsdBuckets()).hasSize(11);
        assertThat(config.processor().setWindow()).isEqualTo(Duration.ofSeconds(10));
        assertThat(problems(VALID + "gateway:\n  statsd_buckets: [1, 0.5]\n")).singleElement().asString()
                .contains("gateway.statsd_buckets").contains("must be increasing: 0.5 follows 1.0");
        assertThat(problems(VALID + "gateway:\n  statsd_buckets: [1, fast]\n")).singleElement().asString()
                .contains("gateway.statsd_buckets").contains("finite number");
    }

    @Test
    void shouldReportTheExampleProblemExactly() {
        String yaml = VALID.replace("replica_factor: 1", "replica_factor: 0");
        assertThat(problems(yaml)).containsExactly("caiman.yaml:6: clusters[0].replica_factor was 0 but must be from 1 to 32767");
    }

    @Test
    void shouldReportEveryProblemAtOnceWithLineKeyValueAndRule() {
        String yaml = String.join("\n",
                "clusters:",
                "  - name: repl",
                "    type: kafka",
                "    servers: [nohost:port]",
                "    partitions: many",
                "    size: 0",
                "    retention_time: 3 days",
                "    replica_factr: 2",
                "entrypoints:",
                "  - protocol: http",
                "    listen: 127.0.0.1:99999",
                "    cluster: other",
                "gateway:",
                "  max_request_bytes: 12 parsecs",
                "  default_tenant: 'a b'",
                "bogus: 1",
                "");
        assertThat(problems(yaml)).containsExactlyInAnyOrder(
                "caiman.yaml:3: clusters[0].type was kafka but must be one of oplog, sharedlock",
                "caiman.yaml:4: clusters[0].servers was [nohost:port] but must be host:port with a numeric port",
                "caiman.yaml:5: clusters[0].partitions was many but must be a whole number",
                "caiman.yaml:6: clusters[0].size was 0 but must be at least 1",
                "caiman.yaml:7: clusters[0].retention_time was '3 days' but must be a duration such as 30s, 5m, 1h30m or 7d (units ms, s, m, h, d, w)",
                "caiman.yaml:8: clusters[0].replica_factr is not a known setting; did you mean replica_factor?",
                "caiman.yaml:11: entrypoints[0].listen was 127.0.0.1:99999 but must be host:port with a port from 0 to 65535",
                "caiman.yaml:12: entrypoints[0].cluster was other but must name a cluster defined under clusters (defined: repl)",
                "caiman.yaml:14: gateway.max_request_bytes was '12 parsecs' but must be a size such as 65536, 512KiB or 64MiB",
                "caiman.yaml:15: gateway.default_tenant was 'a b' but tenant 'a b' has ' ' at position 2; allowed: [a-zA-Z0-9!_.*'()-]",
                "caiman.yaml:16: bogus is not a known setting; known here: clusters, entrypoints, aggregate, kafka, zookeeper, gateway, processor, crawler, stream_aggregation, series");
    }

    @Test
    void shouldReportMissingRequiredSettingsAtTheirBlock() {
        String yaml = "clusters:\n  - type: oplog\n";
        assertThat(problems(yaml)).containsExactlyInAnyOrder(
                "caiman.yaml:2: clusters[0].name is missing but is required",
                "caiman.yaml:2: clusters[0].servers is missing but is required");
    }

    @Test
    void shouldRefuseDuplicateNamesAndKeys() {
        String yaml = VALID + "  - protocol: http\n    listen: 1\n    cluster: repl\n    cluster: repl\n"
                + "processor:\n  listen: 1\n";
        assertThat(problems(yaml)).containsExactly(
                "caiman.yaml:14: entrypoints[1].cluster is given twice (first at line 13)");
        String twoClusters = VALID.replace("entrypoints:", "  - name: repl\n    type: sharedlock\n    servers: [a:2181]\nentrypoints:");
        assertThat(problems(twoClusters)).contains(
                "caiman.yaml:7: clusters[1].name was repl but must be unique (clusters[0] has it too)");
    }

    @Test
    void shouldCheckCrossClusterRules() {
        String yaml = String.join("\n",
                "clusters:",
                "  - {name: a, type: oplog, servers: [k:9092]}",
                "  - {name: b, type: oplog, servers: [k:9092], oplog: a}",
                "  - {name: c, type: oplog, servers: [k:9092]}",
                "  - {name: locks, type: sharedlock, servers: [z:2181]}",
                "entrypoints:",
                "  - {protocol: http, listen: 9091, cluster: locks}",
                "aggregate:",
                "  - {kind: prometheus, url: 'http://x:9100/metrics', cluster: a, interval: 5s}",
                "zookeeper:",
                "  session_timeout: 5s",
                "");
        assertThat(problems(yaml)).containsExactlyInAnyOrder(
                "caiman.yaml:3: clusters[1].oplog was a but is only for sharedlock clusters",
                "caiman.yaml:5: clusters[3].oplog is missing but is required when several oplog clusters are defined (a, b, c)",
                "caiman.yaml:7: entrypoints[0].cluster was locks but must name a oplog cluster (clusters[3] is sharedlock)",
                "caiman.yaml:9: aggregate[0].cluster was a but must name a sharedlock cluster (clusters[0] is oplog)",
                "caiman.yaml:9: aggregate[0].timeout was 10s but must not be longer than interval (5s)",
                "caiman.yaml:11: zookeeper.session_timeout was 5s but must be shorter than every crawl interval (aggregate[0].interval is 5s): it bounds how long a crashed crawler blocks a slot");
    }

    @Test
    void shouldRefuseSizeTogetherWithRetentionBytesAndKafkaSettingsThatBreakGuarantees() {
        String yaml = VALID.replace("partitions: 6", "partitions: 6\n    size: 10\n    retention_bytes: 1MiB")
                + "kafka:\n  producer:\n    acks: 1\n    linger.ms: 20\n  streams:\n    processing.guarantee: at_least_once\n";
        assertThat(problems(yaml)).containsExactlyInAnyOrder(
                "caiman.yaml:7: clusters[0].retention_bytes was 1MiB but cannot be set together with size (size is translated into retention_bytes; set one of them)",
                "caiman.yaml:15: kafka.producer.acks was 1 but must be all (Caiman's delivery guarantees depend on it)",
                "caiman.yaml:18: kafka.streams.processing.guarantee was at_least_once but must be exactly_once_v2 (Caiman's delivery guarantees depend on it)");
    }

    @Test
    void shouldReportYamlSyntaxErrorsWithTheirLine() {
        assertThat(problems("clusters:\n  - name: [unclosed\n")).singleElement().asString()
                .startsWith("caiman.yaml:3: is not valid YAML");
        assertThat(problems("- just\n- a list\n")).singleElement().asString()
                .isEqualTo("caiman.yaml:1: the file must be a YAML mapping (clusters:, entrypoints:, …)");
        assertThat(problems("clusters: 5\n")).containsExactly("caiman.yaml:1: clusters was 5 but must be a list of mappings");
        assertThat(problems("gateway: [1]\n")).containsExactly("caiman.yaml:1: gateway was [1] but must be a mapping of settings");
    }

    @Test
    void shouldAcceptAnEmptyFileAsAllDefaults() {
        CaimanConfig config = ConfigLoader.parse("", "empty.yaml");
        assertThat(config.clusters()).isEmpty();
        assertThat(config.processor().cluster()).isNull();
    }

    @Test
    void shouldTranslateSizeIntoRetentionBytes() {
        CaimanConfig config = ConfigLoader.parse(VALID.replace("partitions: 6", "partitions: 4\n    size: 10001\n    record_bytes: 200"), "c.yaml");
        // ceil(10001 / 4) = 2501 records a partition, 200 bytes each
        assertThat(config.requireCluster("repl").retentionBytesPerPartition()).isEqualTo(500_200);
        CaimanConfig direct = ConfigLoader.parse(VALID.replace("partitions: 6", "retention_bytes: 1GiB"), "c.yaml");
        assertThat(direct.requireCluster("repl").retentionBytesPerPartition()).isEqualTo(1L << 30);
    }

    @Test
    void shouldOverrideTheFileWithEnvThenFlags(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("caiman.yaml");
        Files.writeString(file, VALID);
        Map<String, String> env = Map.of(
                "CAIMAN_CLUSTERS_0_REPLICA_FACTOR", "2",
                "CAIMAN_GATEWAY_ACK_TIMEOUT", "5s",
                "CAIMAN_KAFKA_PRODUCER_LINGER_MS", "20",
                "CAIMAN_CONFIG", "ignored: the launcher reads it",
                "PATH", "/bin");
        CaimanConfig config = ConfigLoader.load(file, env, List.of("clusters[0].replica_factor=3",
                "clusters[1].name=locks", "clusters[1].type=sharedlock", "clusters[1].servers=127.0.0.1:2181,127.0.0.1:2182",
                "clusters[0].sharding_key=[__name__, job]"));
        assertThat(config.requireCluster("repl").replicaFactor()).isEqualTo(3);
        assertThat(config.requireCluster("repl").shardingKey()).as("a list as YAML writes one on a line")
                .containsExactly("__name__", "job");
        assertThat(config.gateway().ackTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.kafka().producer()).containsEntry("linger.ms", "20");
        ClusterConfig locks = config.requireCluster("locks");
        assertThat(locks.servers()).hasSize(2);
        assertThat(locks.oplog()).isEqualTo("repl");
    }

    @Test
    void shouldNameTheEnvVariableOrFlagInItsProblems(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("caiman.yaml");
        Files.writeString(file, VALID);
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of("CAIMAN_CLUSTERS_0_REPLICA_FACTOR", "zero",
                "CAIMAN_GATEWAY_MAX_REQUEST_BYTE", "1"), List.of("clusters[3].name=x", "nokey", "gateway.nope=1")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).map(ConfigProblem::toString).containsExactlyInAnyOrder(
                        "env CAIMAN_CLUSTERS_0_REPLICA_FACTOR: clusters[0].replica_factor was zero but must be a whole number",
                        "env CAIMAN_GATEWAY_MAX_REQUEST_BYTE: is not a known setting (see docs/config.md for the environment variable of each setting)",
                        "--set clusters[3].name=x: clusters[3].name names element 3 but clusters has 1 (an override may change one or add the next)",
                        "--set nokey: must be key=value, e.g. clusters[0].replica_factor=3",
                        "--set gateway.nope=1: gateway.nope is not a known setting"));
    }

    @Test
    void shouldReportAnUnreadableFile(@TempDir Path dir) {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.yaml"), Map.of(), List.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("missing.yaml: cannot be read: NoSuchFileException");
    }

    @Test
    void shouldReadDurationsSizesAndAddresses() {
        assertThat(SettingType.DURATION.read(new ConfigNode.Scalar("1h30m", null))).isEqualTo(Duration.ofMinutes(90));
        assertThat(SettingType.DURATION.read(new ConfigNode.Scalar("250ms", null))).isEqualTo(Duration.ofMillis(250));
        assertThat(SettingType.DURATION.read(new ConfigNode.Scalar("2w", null))).isEqualTo(Duration.ofDays(14));
        assertThatThrownBy(() -> SettingType.DURATION.read(new ConfigNode.Scalar("5", null))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SettingType.DURATION.read(new ConfigNode.Scalar("5s garbage", null))).isInstanceOf(IllegalArgumentException.class);
        assertThat(SettingType.SIZE_BYTES.read(new ConfigNode.Scalar("64MiB", null))).isEqualTo(64L << 20);
        assertThat(SettingType.SIZE_BYTES.read(new ConfigNode.Scalar("1GB", null))).isEqualTo(1_000_000_000L);
        assertThat(SettingType.formatDuration(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(HostPort.parse("9091")).isEqualTo(new HostPort("0.0.0.0", 9091));
        assertThat(HostPort.parse("[::1]:9091")).isEqualTo(new HostPort("::1", 9091));
        assertThatThrownBy(() -> HostPort.parse("::1:9091")).hasMessageContaining("brackets");
    }

    @Test
    void shouldResolveTheCrawlerClusterAndCheckTargetLabels() {
        CaimanConfig config = ConfigLoader.parse(String.join("\n",
                "clusters:",
                "  - {name: metrics, type: oplog, servers: [k:9092]}",
                "  - {name: crawl, type: sharedlock, servers: [z:2181]}",
                "aggregate:",
                "  - {kind: prometheus, url: 'http://node-1:9100/metrics', cluster: crawl, labels: {dc: eu}}",
                ""), "caiman.yaml");
        assertThat(config.crawler().cluster()).isEqualTo("crawl");
        assertThat(config.crawler().leaseGroups()).isEqualTo(16);
        AggregateConfig target = config.aggregates().get(0);
        assertThat(target.job()).isEqualTo("prometheus");
        assertThat(target.labels()).containsEntry("dc", "eu");
        assertThat(target.tenant()).isEqualTo("default");

        assertThatThrownBy(() -> ConfigLoader.parse(String.join("\n",
                "clusters:",
                "  - {name: metrics, type: oplog, servers: [k:9092]}",
                "  - {name: crawl, type: sharedlock, servers: [z:2181]}",
                "crawler: {cluster: metrics, lease_groups: 0}",
                "aggregate:",
                "  - {kind: http, url: 'http://x/', cluster: crawl, labels: {'bad-name': x}}",
                "  - {kind: prometheus, cluster: crawl}",
                "  - {kind: prometheus, cluster: crawl, url: 'http://y/', file_sd: [t.json]}",
                ""), "caiman.yaml"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).map(ConfigProblem::toString).containsExactlyInAnyOrder(
                        "caiman.yaml:4: crawler.cluster was metrics but must name a sharedlock cluster (clusters[0] is oplog)",
                        "caiman.yaml:4: crawler.lease_groups was 0 but must be from 1 to 1000",
                        "caiman.yaml:6: aggregate[0].labels was a mapping but has key bad-name: label name 'bad-name' has "
                                + "'-' at position 4; allowed: [a-zA-Z_][a-zA-Z0-9_]*",
                        "caiman.yaml:7: aggregate[1].url was unset but must be set, or file_sd given (files of targets)",
                        "caiman.yaml:8: aggregate[2].url was http://y/ but must not be given with file_sd: one or the other"));
    }

    @Test
    void shouldReadStreamAggregationRulesWithTheirDefaultsAndAStableId() {
        String rules = String.join("\n",
                "stream_aggregation:",
                "  - match: '{__name__=~\"http_.*\", job=\"api\"}'",
                "    interval: 1m",
                "    by: [job, code]",
                "    outputs: [sum_samples, 'quantiles(0.5, 0.99)', histogram_bucket]",
                "  - name: cpu",
                "    match: node_cpu_seconds_total",
                "    interval: 30s",
                "    without: [cpu]",
                "    outputs: [rate_sum]",
                "    dedup_interval: 15s",
                "    keep_input: true",
                "");
        CaimanConfig config = ConfigLoader.parse(VALID + rules, "caiman.yaml");
        assertThat(config.rules("repl")).hasSize(2);
        RuleConfig http = config.rules("repl").get(0);
        assertThat(http.cluster()).isEqualTo("repl");
        assertThat(http.stalenessInterval()).isEqualTo(java.time.Duration.ofMinutes(2));
        assertThat(http.grace()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(http.outputs().get(1).args()).containsExactly(0.5, 0.99);
        assertThat(http.outputs().get(2).args()).isEqualTo(RuleConfig.DEFAULT_BUCKETS);
        assertThat(http.nameSuffix()).isEqualTo(":1m_by_job_code_");
        assertThat(http.id()).hasSize(12).isEqualTo(ConfigLoader.parse(VALID + rules.replace("by: [job, code]",
                "by: [job, code]\n    keep_input: false"), "caiman.yaml").rules("repl").get(0).id())
                .isNotEqualTo(ConfigLoader.parse(VALID + rules.replace("interval: 1m", "interval: 2m"), "caiman.yaml")
                        .rules("repl").get(0).id());
        RuleConfig cpu = config.rules("repl").get(1);
        assertThat(cpu.displayName()).isEqualTo("cpu");
        assertThat(cpu.nameSuffix()).isEqualTo(":30s_without_cpu_");
        assertThat(cpu.dedupInterval()).isEqualTo(java.time.Duration.ofSeconds(15));
        assertThat(cpu.keepInput()).isTrue();
    }

    @Test
    void shouldListEveryProblemOfABadRuleFile() {
        String rules = String.join("\n",
                "stream_aggregation:",
                "  - match: '{job=~\".*\"}'",
                "    interval: 0s",
                "    outputs: [sum, 'quantiles(2)']",
                "  - match: up",
                "    interval: 1m",
                "    by: [job]",
                "    without: [instance]",
                "    outputs: [min, min]",
                "  - match: up",
                "    interval: 1m",
                "    outputs: []",
                "    staleness_interval: 0s",
                "");
        assertThat(problems(VALID + rules)).containsExactlyInAnyOrder(
                "caiman.yaml:12: stream_aggregation[0].match was {job=~\".*\"} but must be a series selector: selector "
                        + "{job=~\".*\"} matches every series: it needs a metric name or a matcher that does not match "
                        + "the empty string",
                "caiman.yaml:13: stream_aggregation[0].interval was 0s but must be more than 0",
                "caiman.yaml:14: stream_aggregation[0].outputs was [sum, quantiles(2)] but has unknown output sum "
                        + "(known: count_samples, count_series, sum_samples, min, max, avg, last, total, increase, "
                        + "rate_sum, rate_avg, stddev, stdvar, quantiles, histogram_bucket)",
                "caiman.yaml:18: stream_aggregation[1].without was [instance] but cannot be given with by: group by "
                        + "some labels or without some",
                "caiman.yaml:19: stream_aggregation[1].outputs was [min, min] but lists min twice",
                "caiman.yaml:22: stream_aggregation[2].outputs was [] but must list at least one output",
                "caiman.yaml:23: stream_aggregation[2].staleness_interval was 0s but must be more than 0");
    }
}
