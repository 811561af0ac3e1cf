package io.caiman.core.http;

import io.caiman.core.config.HostPort;
import io.caiman.core.lifecycle.Lifecycle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.QoSHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP server for one Caiman process: its own routes plus {@code GET /metrics} (Prometheus text),
 * {@code GET /-/healthy} and {@code GET /-/ready}, as every Prometheus-ecosystem process serves them.
 *
 * <pre>{@code
 * HttpService http = HttpService.builder("gateway", new HostPort("127.0.0.1", 0), registry)
 *         .route("POST", "/api/v1/import/prometheus", importHandler)
 *         .readiness(() -> readiness)
 *         .build();
 * http.start();
 * int port = http.port();
 * }</pre>
 *
 * <p>Unknown paths get 404; a known path with the wrong method gets 405 with {@code Allow}. A handler that
 * throws gets 500 with the reason, and the error is logged; it never takes the server down.
 */
public final class HttpService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpService.class);

    /** The Prometheus text format's content type, as Prometheus expects from a scrape. */
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /** {@link Builder#minBodyRate}'s default, and {@code gateway.min_body_rate}'s: 4 KiB a second. */
    public static final long DEFAULT_MIN_BODY_RATE = 4096;

    private final String name;
    private final Lifecycle lifecycle;
    private final Server server;
    private final ServerConnector connector;

    private HttpService(Builder b) {
        this.name = b.name;
        this.lifecycle = new Lifecycle("http [" + b.name + "]");
        QueuedThreadPool pool = new QueuedThreadPool(b.maxThreads, 2);
        pool.setName("caiman-" + b.name + "-http");
        this.server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        // Jetty keeps a cache of header fields per connection (about 32 KiB once a request has been served);
        // a gateway has a connection per sender, thousands of them, and few headers worth caching
        http.setHeaderCacheSize(0);
        // Jetty refuses a path with %2F, %25 or bytes that are not UTF-8 before any handler sees it, with an empty
        // 400 for a PUT; a Pushgateway push carries label values in its path, which its handler decodes from the
        // raw path and answers with what is wrong. No handler here maps a path to a file.
        http.setUriCompliance(UriCompliance.DEFAULT.with("caiman", UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
                UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING, UriCompliance.Violation.BAD_UTF8_ENCODING,
                UriCompliance.Violation.TRUNCATED_UTF8_ENCODING));
        SslContextFactory.Server ssl = null;
        if (b.tls != null) {
            ssl = new SslContextFactory.Server();
            ssl.setKeyStore(b.tls);
            ssl.setKeyStorePassword(PemKeyStore.PASSWORD);
        }
        this.connector = new ServerConnector(server, 1, 1,
                AbstractConnectionFactory.getFactories(ssl, new HttpConnectionFactory(http)));
        connector.setAcceptQueueSize(1024); // a burst of connections waits to be answered (or shed) rather than reset
        connector.setHost(b.listen.host());
        connector.setPort(b.listen.port());
        server.addConnector(connector);
        Handler handler = new Router(b.routes, b.prefixes, b.registry, b.metricsExtra, b.readiness, b.minBodyRate);
        if (b.maxConcurrentWrites > 0) {
            handler = new Shedding(handler, b.maxConcurrentWrites, b.maxWriteWait, b.registry, b.name);
        }
        // on stop, refuse new requests (503) and let the ones in flight finish, up to the drain timeout
        server.setHandler(new GracefulHandler(handler));
        server.setStopTimeout(b.drainTimeout.toMillis());
    }

    public static Builder builder(String name, HostPort listen, PrometheusMeterRegistry registry) {
        return new Builder(name, listen, registry);
    }

    /**
     * Binds and starts serving.
     *
     * @throws io.caiman.error.CaimanException if the address cannot be bound, naming it
     */
    public void start() {
        lifecycle.starting();
        try {
            server.start();
        } catch (Exception e) {
            lifecycle.closed();
            throw new io.caiman.error.CaimanException("http [" + name + "] cannot listen on " + connector.getHost() + ":"
                    + connector.getPort() + ": " + e.getMessage(), e);
        }
        lifecycle.running();
        log.info("http [{}] listening on {}://{}:{}", name, scheme(), connector.getHost(), port());
    }

    /** {@code https} when serving TLS, else {@code http}. */
    public String scheme() {
        return connector.getDefaultProtocol().startsWith("SSL") ? "https" : "http";
    }

    /** The bound port (useful after binding port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        if (!lifecycle.closing()) {
            return;
        }
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("http [{}] did not stop cleanly: {}", name, e.toString());
        } finally {
            lifecycle.closed();
        }
    }

    /** Builds an {@link HttpService}. */
    public static final class Builder {
        private final String name;
        private final HostPort listen;
        private final PrometheusMeterRegistry registry;
        private final Map<String, Map<String, Consumer<HttpExchange>>> routes = new LinkedHashMap<>();
        private final Map<String, Map<String, Consumer<HttpExchange>>> prefixes = new LinkedHashMap<>();
        private Supplier<String> metricsExtra = () -> "";
        private Supplier<Readiness> readiness = () -> new Readiness(List.of());
        private int maxThreads = 64;
        private int maxConcurrentWrites;
        private java.time.Duration maxWriteWait = java.time.Duration.ZERO;
        private java.time.Duration drainTimeout = java.time.Duration.ofSeconds(5);
        private java.security.KeyStore tls;
        private long minBodyRate = DEFAULT_MIN_BODY_RATE;

        private Builder(String name, HostPort listen, PrometheusMeterRegistry registry) {
            this.name = name;
            this.listen = listen;
            this.registry = registry;
        }

        /**
         * Serves {@code method} on every path under {@code prefix} (e.g. {@code /metrics/job/}) that no exact
         * route takes.
         */
        public Builder routePrefix(String method, String prefix, Consumer<HttpExchange> handler) {
            prefixes.computeIfAbsent(prefix, p -> new LinkedHashMap<>()).put(method, handler);
            return this;
        }

        /** Serves {@code method path} with {@code handler}, which must answer the exchange exactly once. */
        public Builder route(String method, String path, Consumer<HttpExchange> handler) {
            routes.computeIfAbsent(path, p -> new LinkedHashMap<>()).put(method, handler);
            return this;
        }

        /** Extra Prometheus text appended to {@code /metrics} after the self-metrics. */
        public Builder metricsExtra(Supplier<String> extra) {
            this.metricsExtra = extra;
            return this;
        }

        public Builder readiness(Supplier<Readiness> readiness) {
            this.readiness = readiness;
            return this;
        }

        /** How long closing waits for requests in flight to finish. */
        public Builder drainTimeout(java.time.Duration drainTimeout) {
            this.drainTimeout = drainTimeout;
            return this;
        }

        /** Serves HTTPS with the key and certificate chain in {@code keyStore} (see {@link PemKeyStore}). */
        public Builder tls(java.security.KeyStore keyStore) {
            this.tls = keyStore;
            return this;
        }

        /**
         * The slowest a request body may arrive, in bytes a second on average, once its first 5 s have passed; slower
         * ones are answered 503 with {@code Retry-After} and their connections closed. 0 lets a body take any time
         * (Jetty's idle timeout still closes a connection that sends nothing for 30 s).
         */
        public Builder minBodyRate(long bytesPerSecond) {
            this.minBodyRate = bytesPerSecond;
            return this;
        }

        public Builder maxThreads(int maxThreads) {
            this.maxThreads = maxThreads;
            return this;
        }

        /**
         * Sheds load: at most {@code max} {@code POST}/{@code PUT} requests are served at once (fewer than the
         * threads, so {@code /metrics} and the health checks always find one); up to four times as many more
         * wait, each for at most {@code maxWait}, and the rest are answered 503 with {@code Retry-After} before
         * their bodies are read. Without it, a sender faster than the CPU makes requests queue without bound.
         */
        public Builder maxConcurrentWrites(int max, java.time.Duration maxWait) {
            if (max >= maxThreads) {
                throw new IllegalArgumentException("at most " + (maxThreads - 1) + " concurrent writes: " + maxThreads
                        + " threads, one kept for /metrics and health checks");
            }
            this.maxConcurrentWrites = max;
            this.maxWriteWait = maxWait;
            return this;
        }

        public HttpService build() {
            return new HttpService(this);
        }
    }

    /** Jetty's {@link QoSHandler} on writes, answering what it refuses as a retryable 503. */
    private static final class Shedding extends QoSHandler {
        private static final byte[] REFUSAL = ("busy: as many writes as gateway.max_concurrent_requests are being "
                + "served; retry after a second\n").getBytes(StandardCharsets.UTF_8);

        private final io.micrometer.core.instrument.Counter shed;

        Shedding(Handler next, int max, java.time.Duration maxWait, PrometheusMeterRegistry registry, String name) {
            super(next);
            includeMethod("POST", "PUT");
            setMaxRequestCount(max);
            setMaxSuspendedRequestCount(max * 4);
            setMaxSuspend(maxWait);
            setRejectStatusCode(HttpStatus.SERVICE_UNAVAILABLE_503);
            this.shed = io.micrometer.core.instrument.Counter.builder("caiman_http_requests_shed")
                    .description("Writes answered 503 before their body was read, because max_concurrent_requests "
                            + "were being served and the wait was full or too long")
                    .tag("server", name).register(registry);
        }

        @Override
        protected void reject(Request request, Response response, Callback callback, int status) {
            refuse(response, callback, status);
        }

        /** A write that waited {@code max_request_wait} (or was waiting when the server stopped). */
        @Override
        protected void failSuspended(Request request, Response response, Callback callback, int status, Throwable cause) {
            refuse(response, callback, status);
        }

        /** A short plain-text answer: Jetty's HTML error page costs more than the request it refuses. */
        private void refuse(Response response, Callback callback, int status) {
            shed.increment();
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.write(true, ByteBuffer.wrap(REFUSAL), callback);
        }
    }

    private static final class Router extends Handler.Abstract {
        private final Map<String, Map<String, Consumer<HttpExchange>>> routes;
        private final Map<String, Map<String, Consumer<HttpExchange>>> prefixes;
        private final long minBodyRate;

        Router(Map<String, Map<String, Consumer<HttpExchange>>> routes,
                Map<String, Map<String, Consumer<HttpExchange>>> prefixes, PrometheusMeterRegistry registry,
                Supplier<String> metricsExtra, Supplier<Readiness> readiness, long minBodyRate) {
            this.minBodyRate = minBodyRate;
            this.routes = new LinkedHashMap<>(routes);
            this.prefixes = new LinkedHashMap<>(prefixes);
            this.routes.computeIfAbsent("/metrics", p -> new LinkedHashMap<>()).put("GET", ex -> ex.respond(200,
                    PROMETHEUS_TEXT, (registry.scrape() + metricsExtra.get()).getBytes(StandardCharsets.UTF_8), Map.of()));
            this.routes.computeIfAbsent("/-/healthy", p -> new LinkedHashMap<>()).put("GET", ex -> ex.respondText(200, "Healthy"));
            this.routes.computeIfAbsent("/-/ready", p -> new LinkedHashMap<>()).put("GET", ex -> {
                Readiness r = readiness.get();
                ex.respondText(r.ready() ? 200 : 503, r.describe());
            });
            this.routes.forEach((path, methods) -> {
                if (methods.containsKey("GET") && !methods.containsKey("HEAD")) {
                    methods.put("HEAD", methods.get("GET"));
                }
            });
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            HttpExchange exchange = new HttpExchange(request, response, callback, minBodyRate);
            Map<String, Consumer<HttpExchange>> methods = routes.get(exchange.path());
            if (methods == null) {
                for (Map.Entry<String, Map<String, Consumer<HttpExchange>>> p : prefixes.entrySet()) {
                    if (exchange.path().startsWith(p.getKey())) {
                        methods = p.getValue();
                        break;
                    }
                }
            }
            if (methods == null) {
                exchange.respondText(404, "no such path: " + exchange.path());
                return true;
            }
            Consumer<HttpExchange> handler = methods.get(exchange.method());
            if (handler == null) {
                String allow = String.join(", ", new TreeSet<>(methods.keySet()));
                exchange.respond(405, "text/plain; charset=utf-8",
                        (exchange.method() + " is not allowed on " + exchange.path() + "; use " + allow + "\n")
                                .getBytes(StandardCharsets.UTF_8), Map.of("Allow", allow));
                return true;
            }
            try {
                handler.accept(exchange);
            } catch (HttpError e) {
                exchange.respondText(e.status(), e.getMessage());
            } catch (RuntimeException e) {
                log.error("{} {} from {} failed", exchange.method(), exchange.path(), exchange.remote(), e);
                exchange.respondText(500, "internal error: " + e);
            }
            return true;
        }
    }
}
