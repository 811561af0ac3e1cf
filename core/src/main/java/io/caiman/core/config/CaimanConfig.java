package io.caiman.core.config;

import static io.caiman.core.config.CaimanConfigDef.*;

import io.caiman.core.config.ConfigBinder.Values;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A checked, immutable Caiman deployment configuration. Build one with {@link ConfigLoader}; every
 * instance has passed every check, including those that span several settings.
 */
public record CaimanConfig(
        List<ClusterConfig> clusters,
        List<EntrypointConfig> entrypoints,
        List<AggregateConfig> aggregates,
        KafkaSettings kafka,
        ZooKeeperSettings zookeeper,
        GatewaySettings gateway,
        ProcessorSettings processor,
        CrawlerSettings crawler,
        List<RuleConfig> rules,
        List<String> replicaLabels,
        java.time.Duration replicaTimeout) {

    /** The stream aggregation rules of the oplog cluster {@code cluster}. */
    public List<RuleConfig> rules(String cluster) {
        return rules.stream().filter(r -> r.cluster().equals(cluster)).toList();
    }

    /** The cluster named {@code name}, if defined. */
    public Optional<ClusterConfig> cluster(String name) {
        return clusters.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /**
     * The cluster named {@code name}.
     *
     * @throws IllegalArgumentException if none is (a checked config never names an undefined cluster)
     */
    public ClusterConfig requireCluster(String name) {
        return cluster(name).orElseThrow(() -> new IllegalArgumentException("no cluster named " + name));
    }

    /** Builds the config from bound blocks, adding every cross-setting problem to {@code problems}. */
    static CaimanConfig assemble(Map<String, List<Values>> blocks, List<ConfigProblem> problems) {
        List<ClusterConfig> clusters = new ArrayList<>();
        Map<String, Values> clusterValues = new HashMap<>();
        for (Values v : blocks.get(CLUSTERS)) {
            String name = v.get(CLUSTER_NAME);
            if (name != null && clusterValues.containsKey(name)) {
                problems.add(v.problem(CLUSTER_NAME, "must be unique (" + clusterValues.get(name).prefix + " has it too)"));
            }
            if (name != null) {
                clusterValues.put(name, v);
            }
            if (v.isSet(CLUSTER_SIZE) && v.isSet(CLUSTER_RETENTION_BYTES)) {
                problems.add(v.problem(CLUSTER_RETENTION_BYTES, "cannot be set together with size "
                        + "(size is translated into retention_bytes; set one of them)"));
            }
        }
        List<String> oplogs = new ArrayList<>();
        clusterValues.forEach((name, v) -> {
            if ("oplog".equals(v.get(CLUSTER_TYPE))) {
                oplogs.add(name);
            }
        });
        oplogs.sort(null);
        for (Values v : blocks.get(CLUSTERS)) {
            String type = v.get(CLUSTER_TYPE);
            String oplog = v.get(CLUSTER_OPLOG);
            if ("sharedlock".equals(type)) {
                oplog = resolveOplog(v, CLUSTER_OPLOG, oplog, oplogs, clusterValues, problems);
            } else if (oplog != null) {
                problems.add(v.problem(CLUSTER_OPLOG, "is only for sharedlock clusters"));
            }
            clusters.add(new ClusterConfig(v.get(CLUSTER_NAME),
                    type == null ? null : ClusterConfig.Type.valueOf(type.toUpperCase(java.util.Locale.ROOT)),
                    v.get(CLUSTER_SERVERS), v.get(CLUSTER_SIZE), v.get(CLUSTER_PARTITIONS),
                    v.get(CLUSTER_SHARDING_KEY), v.get(CLUSTER_REPLICA_FACTOR), v.get(CLUSTER_RETENTION_TIME),
                    v.get(CLUSTER_LATEST_RETENTION_TIME), v.get(CLUSTER_RETENTION_BYTES), v.get(CLUSTER_RECORD_BYTES), oplog));
        }

        List<EntrypointConfig> entrypoints = new ArrayList<>();
        for (Values v : blocks.get(ENTRYPOINTS)) {
            requireClusterOfType(v, ENTRYPOINT_CLUSTER, "oplog", clusterValues, problems);
            HostPort instance = v.get(ENTRYPOINT_INSTANCE);
            if ("http".equals(v.get(ENTRYPOINT_PROTOCOL)) && !"auto".equals(v.get(ENTRYPOINT_FORMAT))) {
                problems.add(v.problem(ENTRYPOINT_FORMAT, "must be auto for an http listener, which takes each "
                        + "format on its own path"));
            }
            String cert = v.get(ENTRYPOINT_TLS_CERT_FILE);
            String key = v.get(ENTRYPOINT_TLS_KEY_FILE);
            if ((cert == null) != (key == null)) {
                problems.add(v.problem(cert == null ? ENTRYPOINT_TLS_KEY_FILE : ENTRYPOINT_TLS_CERT_FILE,
                        "needs " + (cert == null ? "tls_cert_file" : "tls_key_file") + " beside it"));
            } else if (cert != null && !"http".equals(v.get(ENTRYPOINT_PROTOCOL))) {
                problems.add(v.problem(ENTRYPOINT_TLS_CERT_FILE, "is for http listeners only"));
            }
            entrypoints.add(new EntrypointConfig(v.get(ENTRYPOINT_PROTOCOL), v.get(ENTRYPOINT_FORMAT),
                    v.get(ENTRYPOINT_LISTEN), v.get(ENTRYPOINT_CLUSTER), instance != null ? instance : v.get(ENTRYPOINT_LISTEN),
                    cert == null ? null : new EntrypointConfig.Tls(cert, key)));
        }

        List<AggregateConfig> aggregates = new ArrayList<>();
        for (Values v : blocks.get(AGGREGATE)) {
            requireClusterOfType(v, AGGREGATE_CLUSTER, "sharedlock", clusterValues, problems);
            if ((v.get(AGGREGATE_URL) == null) == v.get(AGGREGATE_FILE_SD).isEmpty()) {
                problems.add(v.problem(AGGREGATE_URL, v.get(AGGREGATE_URL) == null
                        ? "must be set, or file_sd given (files of targets)" : "must not be given with file_sd: one or the other"));
            }
            if ((v.get(AGGREGATE_TLS_CERT_FILE) == null) != (v.get(AGGREGATE_TLS_KEY_FILE) == null)) {
                problems.add(v.problem(v.get(AGGREGATE_TLS_CERT_FILE) == null ? AGGREGATE_TLS_KEY_FILE : AGGREGATE_TLS_CERT_FILE,
                        "needs " + (v.get(AGGREGATE_TLS_CERT_FILE) == null ? "tls_cert_file" : "tls_key_file") + " too"));
            }
            if (v.get(AGGREGATE_TIMEOUT) != null && v.get(AGGREGATE_INTERVAL) != null
                    && v.get(AGGREGATE_TIMEOUT).compareTo(v.get(AGGREGATE_INTERVAL)) > 0) {
                problems.add(v.problem(AGGREGATE_TIMEOUT, "must not be longer than interval ("
                        + SettingType.formatDuration(v.get(AGGREGATE_INTERVAL)) + ")"));
            }
        }

        Values k = blocks.get(KAFKA).get(0);
        checkPinned(k, KAFKA_PRODUCER, Map.of("acks", List.of("all", "-1"), "enable.idempotence", List.of("true")), problems);
        checkPinned(k, KAFKA_STREAMS, Map.of("processing.guarantee", List.of("exactly_once_v2")), problems);
        KafkaSettings kafka = new KafkaSettings(k.get(KAFKA_CLIENT), k.get(KAFKA_PRODUCER), k.get(KAFKA_CONSUMER),
                k.get(KAFKA_STREAMS), k.get(KAFKA_ADMIN));

        Values z = blocks.get(ZOOKEEPER).get(0);
        ZooKeeperSettings zookeeper = new ZooKeeperSettings(z.get(ZK_SESSION_TIMEOUT), z.get(ZK_CONNECTION_TIMEOUT),
                z.get(ZK_RETRIES));
        Values shortest = null; // one problem for the shortest interval, not one per target
        for (Values v : blocks.get(AGGREGATE)) {
            if (v.get(AGGREGATE_INTERVAL) != null
                    && (shortest == null || v.get(AGGREGATE_INTERVAL).compareTo(shortest.get(AGGREGATE_INTERVAL)) < 0)) {
                shortest = v;
            }
        }
        if (shortest != null && zookeeper.sessionTimeout() != null
                && zookeeper.sessionTimeout().compareTo(shortest.get(AGGREGATE_INTERVAL)) >= 0) {
            problems.add(z.problem(ZK_SESSION_TIMEOUT, "must be shorter than every crawl interval ("
                    + shortest.prefix + ".interval is " + SettingType.formatDuration(shortest.get(AGGREGATE_INTERVAL))
                    + "): it bounds how long a crashed crawler blocks a slot"));
        }

        Values g = blocks.get(GATEWAY).get(0);
        GatewaySettings gateway = new GatewaySettings(g.get(GATEWAY_MAX_REQUEST_BYTES), g.get(GATEWAY_ACK_TIMEOUT),
                g.get(GATEWAY_MAX_INFLIGHT_BYTES), g.get(GATEWAY_MAX_SAMPLES_PER_REQUEST),
                new io.caiman.core.wire.SampleLimits(g.get(GATEWAY_MAX_LABELS_PER_SERIES), g.get(GATEWAY_MAX_LABEL_NAME_LENGTH),
                        g.get(GATEWAY_MAX_LABEL_VALUE_LENGTH)),
                g.get(GATEWAY_TENANT_HEADER), g.get(GATEWAY_DEFAULT_TENANT),
                new GatewaySettings.RateLimits(g.get(GATEWAY_TENANT_SAMPLE_RATE), g.get(GATEWAY_TENANT_SAMPLE_BURST),
                        rates(g.get(GATEWAY_TENANT_SAMPLE_RATES))),
                g.get(GATEWAY_GRAPHITE_MAPPING_FILE), List.copyOf(g.get(GATEWAY_STATSD_BUCKETS)),
                g.get(GATEWAY_MAX_LINE_BYTES).intValue(), g.get(GATEWAY_MAX_CONNECTIONS), g.get(GATEWAY_AUTH_FILE),
                g.get(GATEWAY_MAX_CONCURRENT_REQUESTS), g.get(GATEWAY_MAX_REQUEST_WAIT),
                g.get(GATEWAY_MIN_BODY_RATE), g.get(GATEWAY_LINE_IDLE_TIMEOUT));

        Values p = blocks.get(PROCESSOR).get(0);
        String processorCluster = p.get(PROCESSOR_CLUSTER);
        if (processorCluster != null) {
            requireClusterOfType(p, PROCESSOR_CLUSTER, "oplog", clusterValues, problems);
        } else if (oplogs.size() == 1) {
            processorCluster = oplogs.get(0);
        }
        ProcessorSettings processor = new ProcessorSettings(processorCluster, p.get(PROCESSOR_LISTEN),
                p.get(PROCESSOR_STATE_DIR), "memory".equals(p.get(PROCESSOR_STATE_STORE)), p.get(PROCESSOR_COMMIT_INTERVAL),
                "skip".equals(p.get(PROCESSOR_ON_BAD_RECORD)),
                p.get(PROCESSOR_SET_WINDOW), p.get(PROCESSOR_IDLE_CLOSE), p.get(PROCESSOR_MAX_FUTURE),
                p.get(PROCESSOR_RULE_FLUSH_INTERVAL),
                p.get(PROCESSOR_ADVERTISE), p.get(PROCESSOR_MIN_CLUSTER_SIZE), p.get(PROCESSOR_CLUSTER_WAIT),
                p.get(PROCESSOR_READY_MAX_LAG), p.get(PROCESSOR_REMOTE_WRITE_URL),
                Map.copyOf(p.get(PROCESSOR_REMOTE_WRITE_HEADERS)), p.get(PROCESSOR_METRICS_MAX_SERIES),
                p.get(PROCESSOR_QUERY_MAX_SERIES));

        List<RuleConfig> rules = new ArrayList<>();
        Map<String, String> ruleIds = new HashMap<>();
        for (Values v : blocks.get(STREAM_AGGREGATION)) {
            String ruleCluster = v.get(RULE_CLUSTER);
            if (ruleCluster != null) {
                requireClusterOfType(v, RULE_CLUSTER, "oplog", clusterValues, problems);
            } else if (oplogs.size() == 1) {
                ruleCluster = oplogs.get(0);
            } else {
                problems.add(new ConfigProblem(v.origin, v.key(RULE_CLUSTER), "is missing but is required when "
                        + (oplogs.isEmpty() ? "no oplog cluster is defined" : "several oplog clusters are defined ("
                        + String.join(", ", oplogs) + ")")));
            }
            if (!v.get(RULE_BY).isEmpty() && !v.get(RULE_WITHOUT).isEmpty()) {
                problems.add(v.problem(RULE_WITHOUT, "cannot be given with by: group by some labels or without some"));
            }
            if (v.get(RULE_MATCH) == null || v.get(RULE_INTERVAL) == null || v.get(RULE_OUTPUTS) == null
                    || problems.stream().anyMatch(pr -> pr.key().startsWith(v.prefix + "."))) {
                continue; // already reported
            }
            java.time.Duration staleness = v.get(RULE_STALENESS_INTERVAL) != null ? v.get(RULE_STALENESS_INTERVAL)
                    : v.get(RULE_INTERVAL).multipliedBy(2);
            RuleConfig rule = new RuleConfig(v.get(RULE_NAME), ruleCluster,
                    io.caiman.core.model.SeriesSelector.parse(v.get(RULE_MATCH)), v.get(RULE_INTERVAL),
                    List.copyOf(v.get(RULE_BY)), List.copyOf(v.get(RULE_WITHOUT)),
                    v.get(RULE_OUTPUTS).stream().map(RuleConfig.Output::parse).toList(), v.get(RULE_GRACE), staleness,
                    v.get(RULE_DEDUP_INTERVAL), v.get(RULE_KEEP_INPUT));
            String same = ruleIds.putIfAbsent(rule.cluster() + "/" + rule.id(), v.prefix);
            if (same != null) {
                problems.add(new ConfigProblem(v.origin, v.prefix, "defines the same rule as " + same));
            }
            String named = rule.name() == null ? null : ruleIds.putIfAbsent("name/" + rule.name(), v.prefix);
            if (named != null) {
                problems.add(v.problem(RULE_NAME, "must be unique (" + named + " has it too)"));
            }
            rules.add(rule);
        }

        for (Values v : blocks.get(AGGREGATE)) {
            String kind = v.get(AGGREGATE_KIND);
            aggregates.add(new AggregateConfig(kind, v.get(AGGREGATE_URL), v.get(AGGREGATE_CLUSTER),
                    v.get(AGGREGATE_INSTANCE), v.get(AGGREGATE_INTERVAL), v.get(AGGREGATE_TIMEOUT),
                    v.get(AGGREGATE_JOB) != null ? v.get(AGGREGATE_JOB) : kind, Map.copyOf(v.get(AGGREGATE_LABELS)),
                    Map.copyOf(v.get(AGGREGATE_HEADERS)),
                    v.get(AGGREGATE_TENANT) != null ? v.get(AGGREGATE_TENANT) : gateway.defaultTenant(),
                    List.copyOf(v.get(AGGREGATE_FILE_SD)), new ClientTls(v.get(AGGREGATE_TLS_CA_FILE),
                            v.get(AGGREGATE_TLS_CERT_FILE), v.get(AGGREGATE_TLS_KEY_FILE),
                            v.get(AGGREGATE_TLS_INSECURE_SKIP_VERIFY))));
        }

        Values c = blocks.get(CRAWLER).get(0);
        String crawlerCluster = c.get(CRAWLER_CLUSTER);
        List<String> sharedlocks = new ArrayList<>();
        clusterValues.forEach((name, v) -> {
            if ("sharedlock".equals(v.get(CLUSTER_TYPE))) {
                sharedlocks.add(name);
            }
        });
        if (crawlerCluster != null) {
            requireClusterOfType(c, CRAWLER_CLUSTER, "sharedlock", clusterValues, problems);
        } else if (sharedlocks.size() == 1) {
            crawlerCluster = sharedlocks.get(0);
        }
        CrawlerSettings crawler = new CrawlerSettings(crawlerCluster, c.get(CRAWLER_LISTEN), c.get(CRAWLER_NODE),
                c.get(CRAWLER_LEASE_GROUPS), c.get(CRAWLER_COMMIT_INTERVAL), c.get(CRAWLER_MAX_CONCURRENT_CRAWLS),
                c.get(CRAWLER_MAX_RESPONSE_BYTES), c.get(CRAWLER_MIN_CLUSTER_SIZE), c.get(CRAWLER_CLUSTER_WAIT),
                c.get(CRAWLER_AD_HOC_CRAWLS), c.get(CRAWLER_FILE_SD_REFRESH_INTERVAL));

        List<String> replicaLabels = blocks.get(SERIES).get(0).get(SERIES_REPLICA_LABELS);
        return new CaimanConfig(List.copyOf(clusters), List.copyOf(entrypoints), List.copyOf(aggregates), kafka,
                zookeeper, gateway, processor, crawler, List.copyOf(rules), replicaLabels,
                blocks.get(SERIES).get(0).get(SERIES_REPLICA_TIMEOUT));
    }

    private static Map<String, Long> rates(Map<String, String> text) {
        Map<String, Long> rates = new java.util.TreeMap<>();
        text.forEach((tenant, rate) -> {
            if (rate.matches("[0-9]{1,18}")) {
                rates.put(tenant, Long.parseLong(rate));
            }
        });
        return rates;
    }

    private static String resolveOplog(Values v, Setting<String> setting, String named, List<String> oplogs,
            Map<String, Values> clusters, List<ConfigProblem> problems) {
        if (named != null) {
            requireClusterOfType(v, setting, "oplog", clusters, problems);
            return named;
        }
        if (oplogs.size() == 1) {
            return oplogs.get(0);
        }
        problems.add(new ConfigProblem(v.origin, v.key(setting), oplogs.isEmpty()
                ? "is missing but a sharedlock cluster needs an oplog cluster to write crawled samples to; define one"
                : "is missing but is required when several oplog clusters are defined (" + String.join(", ", oplogs) + ")"));
        return null;
    }

    private static void requireClusterOfType(Values v, Setting<String> setting, String type,
            Map<String, Values> clusters, List<ConfigProblem> problems) {
        String name = v.get(setting);
        if (name == null) {
            return;
        }
        Values cluster = clusters.get(name);
        if (cluster == null) {
            List<String> known = new ArrayList<>(clusters.keySet());
            known.sort(null);
            problems.add(v.problem(setting, "must name a cluster defined under clusters"
                    + (known.isEmpty() ? " (none is)" : " (defined: " + String.join(", ", known) + ")")));
        } else if (!type.equals(cluster.get(CLUSTER_TYPE)) && cluster.get(CLUSTER_TYPE) != null) {
            problems.add(v.problem(setting, "must name a " + type + " cluster (" + cluster.prefix + " is "
                    + cluster.get(CLUSTER_TYPE) + ")"));
        }
    }

    private static void checkPinned(Values v, Setting<Map<String, String>> setting, Map<String, List<String>> pinned,
            List<ConfigProblem> problems) {
        pinned.forEach((property, allowed) -> {
            String value = v.get(setting).get(property);
            if (value != null && !allowed.contains(value.trim().toLowerCase(java.util.Locale.ROOT))) {
                problems.add(new ConfigProblem(v.originOf(setting), v.key(setting) + "." + property,
                        "was " + value + " but must be " + allowed.get(0)
                                + " (Caiman's delivery guarantees depend on it)"));
            }
        });
    }
}
