package io.caiman.gateway;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.EntrypointConfig;
import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpService;
import io.caiman.core.http.PemKeyStore;
import io.caiman.core.http.Readiness;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.core.lifecycle.Lifecycle;
import io.caiman.core.metrics.Registries;
import io.caiman.core.wire.graphite.GraphiteMappings;
import io.caiman.error.CaimanException;
import io.caiman.gateway.http.Credentials;
import io.caiman.gateway.http.InfluxDecoder;
import io.caiman.gateway.http.InflightBudget;
import io.caiman.gateway.http.IngestHandler;
import io.caiman.gateway.http.OtlpDecoder;
import io.caiman.gateway.http.PrometheusTextDecoder;
import io.caiman.gateway.http.PushgatewayDecoder;
import io.caiman.gateway.http.RemoteWriteHandlerDecoder;
import io.caiman.gateway.http.TenantRateLimiter;
import io.caiman.gateway.line.LineListener;
import io.caiman.gateway.line.LineListeners;
import io.caiman.gateway.oplog.OplogWriter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
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
    private final PrometheusMeterRegistry registry = Registries.newRegistry();
    private final Map<String, OplogWriter> writers = new LinkedHashMap<>();
    private final Map<EntrypointConfig, LineListener> listeners = new LinkedHashMap<>();
    private final Map<EntrypointConfig, HttpService> httpServers = new LinkedHashMap<>();
    private final InflightBudget budget;
    private final TenantRateLimiter limiter;
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
        GatewaySettings.RateLimits limits = config.gateway().rateLimits();
        java.util.Map<String, Double> overrides = new java.util.HashMap<>();
        limits.overrides().forEach((tenant, rate) -> overrides.put(tenant, rate.doubleValue()));
        this.limiter = new TenantRateLimiter(limits.rate(), limits.burst(), overrides);
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
            if (entrypoints.stream().noneMatch(ep -> ep.protocol().equals("http"))) {
                throw new CaimanException("no http entrypoint is configured: add one (it serves /metrics, /-/healthy "
                        + "and /-/ready beside the HTTP ingest paths)");
            }
            Credentials credentials = Credentials.load(
                    config.gateway().authFile() == null ? null : Path.of(config.gateway().authFile()));
            GraphiteMappings mappings = GraphiteMappings.load(
                    config.gateway().graphiteMappingFile() == null ? null : Path.of(config.gateway().graphiteMappingFile()));
            for (EntrypointConfig ep : entrypoints) {
                OplogWriter writer = writers.computeIfAbsent(ep.cluster(), this::openWriter);
                GatewaySettings settings = config.gateway();
                if (!ep.protocol().equals("http")) {
                    LineListener listener = LineListeners.create(ep, mappings, writer, settings, budget, limiter, registry);
                    listeners.put(ep, listener);
                    listener.start();
                    continue;
                }
                IngestHandler.Context context = new IngestHandler.Context(writer, settings, ep.instance().toString(),
                        budget, limiter, credentials, registry);
                PrometheusTextDecoder text = new PrometheusTextDecoder(settings);
                IngestHandler push = new IngestHandler(PushgatewayDecoder.PROTOCOL, PrometheusTextDecoder.WHAT,
                        new PushgatewayDecoder(text), context);
                IngestHandler otlp = new IngestHandler(OtlpDecoder.PROTOCOL, OtlpDecoder.WHAT, new OtlpDecoder(settings),
                        context);
                HttpService.Builder builder = HttpService.builder("gateway", ep.listen(), registry)
                        .maxConcurrentWrites(settings.maxConcurrentRequests(), settings.maxRequestWait())
                        .minBodyRate(settings.minBodyRate());
                if (ep.tls() != null) {
                    builder.tls(PemKeyStore.load(Path.of(ep.tls().certFile()), Path.of(ep.tls().keyFile())));
                }
                OtlpDecoder.PATHS.forEach(path -> builder.route("POST", path, otlp));
                HttpService http = builder
                        .route("POST", "/api/v1/import/prometheus", new IngestHandler(PrometheusTextDecoder.PROTOCOL,
                                PrometheusTextDecoder.WHAT, text, context))
                        .routePrefix("PUT", PushgatewayDecoder.PREFIX, push)
                        .routePrefix("POST", PushgatewayDecoder.PREFIX, push)
                        .route("POST", "/api/v1/write", new IngestHandler(RemoteWriteHandlerDecoder.PROTOCOL,
                                RemoteWriteHandlerDecoder.WHAT, new RemoteWriteHandlerDecoder(settings), context))
                        .route("POST", "/write", new IngestHandler(InfluxDecoder.PROTOCOL, InfluxDecoder.WHAT,
                                new InfluxDecoder(InfluxDecoder.Api.V1, settings, registry), context))
                        .route("POST", "/api/v2/write", new IngestHandler(InfluxDecoder.PROTOCOL, InfluxDecoder.WHAT,
                                new InfluxDecoder(InfluxDecoder.Api.V2, settings, registry), context))
                        .route("GET", "/ping", InfluxDecoder::ping)
                        .route("HEAD", "/ping", InfluxDecoder::ping)
                        .route("POST", "/query", InfluxDecoder::query)
                        .drainTimeout(settings.ackTimeout().plusSeconds(5))
                        .readiness(this::readiness)
                        .build();
                httpServers.put(ep, http);
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
        return config.entrypoints().stream().map(this::port).toList();
    }

    private int port(EntrypointConfig ep) {
        return httpServers.containsKey(ep) ? httpServers.get(ep).port() : listeners.get(ep).port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    private String describe() {
        List<String> parts = new ArrayList<>();
        for (EntrypointConfig ep : config.entrypoints()) {
            String scheme = ep.protocol().equals("http") ? (ep.tls() != null ? "https" : "http")
                    : ep.protocol() + " (" + ep.format() + ")";
            parts.add(scheme + " " + ep.listen().host() + ":" + port(ep) + " -> " + config.requireCluster(ep.cluster()).oplogTopic());
        }
        String auth = config.gateway().authFile() != null ? " (credentials required: " + config.gateway().authFile() + ")" : "";
        return String.join(", ", parts) + auth;
    }

    @Override
    public void close() {
        if (!lifecycle.closing()) {
            return;
        }
        checker.shutdownNow();
        listeners.values().forEach(LineListener::close);
        httpServers.values().forEach(HttpService::close);
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
