package io.caiman.gateway;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.EntrypointConfig;
import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpService;
import io.caiman.core.http.Readiness;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.core.lifecycle.Lifecycle;
import io.caiman.error.CaimanException;
import io.caiman.gateway.http.InfluxDecoder;
import io.caiman.gateway.http.InflightBudget;
import io.caiman.gateway.http.IngestHandler;
import io.caiman.gateway.http.PrometheusTextDecoder;
import io.caiman.gateway.http.PushgatewayDecoder;
import io.caiman.gateway.http.RemoteWriteHandlerDecoder;
import io.caiman.gateway.oplog.OplogWriter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateless ingest gateway: one HTTP listener per {@code http} entrypoint, each writing to its cluster's
 * oplog. Start as many as you like behind a load balancer.
 *
 * <pre>{@code
 * try (GatewayService gateway = new GatewayService(config)) {
 *     gateway.start();            // checks or creates each oplog topic, then listens
 *     int port = gateway.ports().get(0);
 * }
 * }</pre>
 *
 * <p>Lifecycle: CREATED → STARTING → RUNNING → CLOSING → CLOSED. Closing stops accepting, waits for the
 * requests in flight, then flushes and closes the producers.
 */
public final class GatewayService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayService.class);

    private final CaimanConfig config;
    private final Lifecycle lifecycle = new Lifecycle("gateway");
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, OplogWriter> writers = new LinkedHashMap<>();
    private final List<HttpService> servers = new ArrayList<>();
    private final InflightBudget budget;
    private final Map<String, Admin> admins = new LinkedHashMap<>();
    private final Map<String, Readiness.Condition> oplogChecks = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ScheduledExecutorService checker =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "caiman-gateway-readiness");
                t.setDaemon(true);
                return t;
            });

    public GatewayService(CaimanConfig config) {
        this.config = config;
        this.budget = new InflightBudget(config.gateway().maxInflightBytes(), registry);
    }

    /**
     * Checks (or creates) every oplog topic an entrypoint feeds, then starts the listeners.
     *
     * @throws io.caiman.core.kafka.TopicMismatchException if an existing oplog topic differs from the config
     * @throws CaimanException if an entrypoint's protocol is not served yet, Kafka is unreachable, or a port
     *     cannot be bound; what was started is closed again
     */
    public void start() {
        lifecycle.starting();
        try {
            List<EntrypointConfig> entrypoints = config.entrypoints();
            if (entrypoints.isEmpty()) {
                throw new CaimanException("no entrypoints are configured: nothing to listen on");
            }
            for (int i = 0; i < entrypoints.size(); i++) {
                if (!entrypoints.get(i).protocol().equals("http")) {
                    throw new CaimanException("entrypoints[" + i + "].protocol " + entrypoints.get(i).protocol()
                            + " is not served by this version of the gateway yet; use http");
                }
            }
            for (EntrypointConfig ep : entrypoints) {
                OplogWriter writer = writers.computeIfAbsent(ep.cluster(), this::openWriter);
                GatewaySettings settings = config.gateway();
                String instance = ep.instance().toString();
                PrometheusTextDecoder text = new PrometheusTextDecoder(settings);
                IngestHandler push = new IngestHandler(PushgatewayDecoder.PROTOCOL, PrometheusTextDecoder.WHAT,
                        new PushgatewayDecoder(text), writer, settings, instance, budget, registry);
                HttpService http = HttpService.builder("gateway", ep.listen(), registry)
                        .route("POST", "/api/v1/import/prometheus", new IngestHandler(PrometheusTextDecoder.PROTOCOL,
                                PrometheusTextDecoder.WHAT, text, writer, settings, instance, budget, registry))
                        .routePrefix("PUT", PushgatewayDecoder.PREFIX, push)
                        .routePrefix("POST", PushgatewayDecoder.PREFIX, push)
                        .route("POST", "/api/v1/write", new IngestHandler(RemoteWriteHandlerDecoder.PROTOCOL,
                                RemoteWriteHandlerDecoder.WHAT, new RemoteWriteHandlerDecoder(settings), writer,
                                settings, instance, budget, registry))
                        .route("POST", "/write", new IngestHandler(InfluxDecoder.PROTOCOL, InfluxDecoder.WHAT,
                                new InfluxDecoder(InfluxDecoder.Api.V1, settings, registry), writer, settings, instance,
                                budget, registry))
                        .route("POST", "/api/v2/write", new IngestHandler(InfluxDecoder.PROTOCOL, InfluxDecoder.WHAT,
                                new InfluxDecoder(InfluxDecoder.Api.V2, settings, registry), writer, settings, instance,
                                budget, registry))
                        .route("GET", "/ping", InfluxDecoder::ping)
                        .route("HEAD", "/ping", InfluxDecoder::ping)
                        .route("POST", "/query", InfluxDecoder::query)
                        .drainTimeout(settings.ackTimeout().plusSeconds(5))
                        .readiness(this::readiness)
                        .build();
                servers.add(http);
                http.start();
            }
            checker.scheduleWithFixedDelay(this::checkOplogs, 5, 5, java.util.concurrent.TimeUnit.SECONDS);
            lifecycle.running();
            log.info("gateway running: {}", describe());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private OplogWriter openWriter(String clusterName) {
        ClusterConfig cluster = config.requireCluster(clusterName);
        Admin admin = KafkaClients.newAdmin(config, cluster, "caiman-gateway-admin");
        admins.put(clusterName, admin);
        Topics.ensure(admin, TopicSpec.oplog(cluster));
        oplogChecks.put(clusterName, new Readiness.Condition("kafka: oplog " + cluster.oplogTopic(), true,
                "checked at start-up"));
        return new OplogWriter(config, cluster, "caiman-gateway-" + clusterName, registry);
    }

    /** Whether each oplog can be described, with the configured partitions: Kafka reachable, topic valid. */
    private void checkOplogs() {
        admins.forEach((name, admin) -> {
            ClusterConfig cluster = config.requireCluster(name);
            String condition = "kafka: oplog " + cluster.oplogTopic();
            try {
                int partitions = admin.describeTopics(List.of(cluster.oplogTopic())).allTopicNames()
                        .get(3, java.util.concurrent.TimeUnit.SECONDS).get(cluster.oplogTopic()).partitions().size();
                boolean ok = partitions == cluster.partitions();
                oplogChecks.put(name, new Readiness.Condition(condition, ok, ok ? "reachable, " + partitions
                        + " partitions" : "has " + partitions + " partitions, the configuration says " + cluster.partitions()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                oplogChecks.put(name, new Readiness.Condition(condition, false, "not reachable: " + cause));
            }
        });
    }

    private Readiness readiness() {
        List<Readiness.Condition> conditions = new ArrayList<>();
        conditions.add(new Readiness.Condition("gateway running", lifecycle.isRunning(), "state " + lifecycle.state()));
        conditions.addAll(oplogChecks.values());
        return new Readiness(conditions);
    }

    /** The bound port of each entrypoint, in configuration order. */
    public List<Integer> ports() {
        return servers.stream().map(HttpService::port).toList();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    private String describe() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            EntrypointConfig ep = config.entrypoints().get(i);
            parts.add("http://" + ep.listen().host() + ":" + servers.get(i).port() + " -> " + ep.cluster() + ".oplog");
        }
        return String.join(", ", parts);
    }

    @Override
    public void close() {
        if (!lifecycle.closing()) {
            return;
        }
        checker.shutdownNow();
        servers.forEach(HttpService::close);
        writers.values().forEach(w -> {
            try {
                w.close();
            } catch (RuntimeException e) {
                log.warn("gateway: oplog producer for {} did not close cleanly: {}", w.cluster().name(), e.toString());
            }
        });
        admins.values().forEach(a -> a.close(java.time.Duration.ofSeconds(5)));
        registry.close();
        lifecycle.closed();
    }
}
