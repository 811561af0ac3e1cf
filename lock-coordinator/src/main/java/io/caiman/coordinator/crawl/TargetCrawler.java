package io.caiman.coordinator.crawl;

import io.caiman.core.config.ClientTls;
import io.caiman.core.http.ClientSsl;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.http.ResponseDeadline;
import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.openmetrics.OpenMetricsParser;
import io.caiman.core.wire.prometheus.PrometheusTextParser;
import io.caiman.schemas.oplog.MetricType;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Crawls one target once over HTTP and turns the answer into samples, the way Prometheus scrapes:
 *
 * <ul>
 *   <li>{@code prometheus}: GET with Prometheus' {@code Accept} (OpenMetrics preferred, the text format 0.0.4
 *       accepted), {@code Accept-Encoding: gzip} and {@code X-Prometheus-Scrape-Timeout-Seconds}; the body is
 *       parsed by the format its {@code Content-Type} names. A non-2xx answer, a timeout, a body over the limit
 *       or any parse error fails the crawl, as in Prometheus: none of its samples are kept.
 *   <li>{@code elasticsearch}: {@code GET _cluster/health} and {@code GET _nodes/stats} under the URL, turned into
 *       elasticsearch_exporter's metrics ({@link ElasticsearchMetrics}); both must answer 2xx with valid JSON.
 *   <li>{@code http}: GET; {@code probe_http_status_code} and {@code probe_duration_seconds} (blackbox_exporter's
 *       names), {@code up} = 1 for a 2xx or 3xx answer.
 * </ul>
 *
 * Every crawl adds {@code up}, {@code scrape_duration_seconds} and {@code scrape_samples_scraped} with the target
 * labels. Samples without a timestamp get the crawl's start time. A scraped label that a target label overrides is
 * kept as {@code exported_<name>}, as Prometheus does without {@code honor_labels}.
 */
public final class TargetCrawler {

    static final String ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    private final HttpClient client;
    /** Clients of targets with their own TLS settings, one per setting. */
    private final Map<ClientTls, HttpClient> tlsClients = new ConcurrentHashMap<>();
    private final PrometheusTextParser text;
    private final OpenMetricsParser openMetrics;
    private final long maxBytes;
    private final String userAgent;

    public TargetCrawler(HttpClient client, SampleLimits limits, long maxResponseBytes, String userAgent) {
        this.client = client;
        this.text = new PrometheusTextParser(limits);
        this.openMetrics = new OpenMetricsParser(limits);
        this.maxBytes = maxResponseBytes;
        this.userAgent = userAgent;
    }

    /** An HTTP client as crawls need it: HTTP/1.1, redirects followed as Prometheus follows them, a connect timeout. */
    public static HttpClient newHttpClient(Duration connectTimeout) {
        return builder(connectTimeout).build();
    }

    private static HttpClient.Builder builder(Duration connectTimeout) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(connectTimeout);
    }

    /**
     * Sets up the TLS settings of the cluster's targets once, so that a missing or bad file stops the crawler at start.
     *
     * @throws io.caiman.error.CaimanException naming the aggregate entry and the file that is wrong
     */
    static void checkTls(io.caiman.core.config.CaimanConfig config, String cluster) {
        for (int i = 0; i < config.aggregates().size(); i++) {
            io.caiman.core.config.AggregateConfig a = config.aggregates().get(i);
            if (a.cluster().equals(cluster) && !a.tls().isDefault()) {
                try {
                    ClientSsl.context(a.tls());
                } catch (io.caiman.error.CaimanException e) {
                    throw new io.caiman.error.CaimanException("aggregate[" + i + "]: " + e.getMessage(), e);
                }
            }
        }
    }

    private HttpClient client(CrawlTarget target) {
        if (target.tls().isDefault()) {
            return client;
        }
        return tlsClients.computeIfAbsent(target.tls(), tls -> builder(client.connectTimeout().orElse(Duration.ofSeconds(10)))
                .sslContext(ClientSsl.context(tls)).build());
    }

    private HttpRequest.Builder request(CrawlTarget target, URI url) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET().timeout(target.timeout())
                .header("User-Agent", userAgent)
                .header("X-Prometheus-Scrape-Timeout-Seconds", Double.toString(target.timeout().toMillis() / 1000.0));
        if (target.kind().equals("prometheus")) {
            request.header("Accept", ACCEPT).header("Accept-Encoding", "gzip");
        }
        target.headers().forEach(request::header);
        return request;
    }

    /** Crawls {@code target} for {@code slot}; never completes exceptionally (a failure is a result with up = 0). */
    public CompletableFuture<CrawlResult> crawl(CrawlTarget target, long slot, long startedMs) {
        long t0 = System.nanoTime();
        if (target.kind().equals("elasticsearch")) {
            return elasticsearch(target, slot, startedMs, t0);
        }
        HttpRequest.Builder request = request(target, target.url());
        CompletableFuture<HttpResponse<byte[]>> response;
        try {
            response = ResponseDeadline.within(client(target).sendAsync(request.build(),
                    info -> new LimitedBody(maxBytes)), target.timeout());
        } catch (IllegalArgumentException | io.caiman.error.CaimanException e) {
            return CompletableFuture.completedFuture(result(target, slot, startedMs, t0, List.of(),
                    "cannot send the request: " + e.getMessage()));
        }
        return response.handle((r, failure) -> {
            if (failure != null) {
                return result(target, slot, startedMs, t0, List.of(), describe(failure, target));
            }
            try {
                return target.kind().equals("http") ? probe(target, slot, startedMs, t0, r)
                        : scrape(target, slot, startedMs, t0, r);
            } catch (RuntimeException e) {
                return result(target, slot, startedMs, t0, List.of(), "cannot read the answer: " + e.getMessage());
            }
        });
    }

    /** Cluster health and node stats, asked for together; both must answer for the crawl to succeed. */
    private CompletableFuture<CrawlResult> elasticsearch(CrawlTarget target, long slot, long startedMs, long t0) {
        String base = target.url().toString().endsWith("/") ? target.url().toString() : target.url() + "/";
        CompletableFuture<HttpResponse<byte[]>> health;
        CompletableFuture<HttpResponse<byte[]>> nodes;
        try {
            HttpClient c = client(target);
            health = ResponseDeadline.within(c.sendAsync(request(target, URI.create(base
                    + ElasticsearchMetrics.HEALTH_PATH)).build(), info -> new LimitedBody(maxBytes)), target.timeout());
            nodes = ResponseDeadline.within(c.sendAsync(request(target, URI.create(base
                    + ElasticsearchMetrics.NODE_STATS_PATH)).build(), info -> new LimitedBody(maxBytes)), target.timeout());
        } catch (IllegalArgumentException | io.caiman.error.CaimanException e) {
            return CompletableFuture.completedFuture(result(target, slot, startedMs, t0, List.of(),
                    "cannot send the request: " + e.getMessage()));
        }
        return health.thenCombine(nodes, (h, n) -> {
            for (HttpResponse<byte[]> r : List.of(h, n)) {
                if (r.statusCode() / 100 != 2) {
                    return result(target, slot, startedMs, t0, List.of(), "GET " + r.uri().getPath()
                            + ": server returned HTTP status " + r.statusCode());
                }
            }
            try {
                return result(target, slot, startedMs, t0, ElasticsearchMetrics.of(h.body(), n.body()), null);
            } catch (IllegalArgumentException e) {
                return result(target, slot, startedMs, t0, List.of(), e.getMessage());
            }
        }).exceptionally(failure -> result(target, slot, startedMs, t0, List.of(), describe(failure, target)));
    }

    private CrawlResult scrape(CrawlTarget target, long slot, long startedMs, long t0, HttpResponse<byte[]> r) {
        if (r.statusCode() / 100 != 2) {
            return result(target, slot, startedMs, t0, List.of(), "server returned HTTP status " + r.statusCode());
        }
        byte[] body;
        try {
            body = HttpExchange.decodeContent(r.headers().firstValue("Content-Encoding").orElse(null), r.body(), maxBytes);
        } catch (HttpError e) {
            return result(target, slot, startedMs, t0, List.of(), e.status() == 413
                    ? "the gzip answer decompresses to more than crawler.max_response_bytes (" + maxBytes + ")"
                    : e.getMessage());
        }
        String contentType = r.headers().firstValue("Content-Type").orElse(null);
        ParseResult parsed = OpenMetricsParser.isOpenMetrics(contentType) ? openMetrics.parse(body) : text.parse(body);
        if (!parsed.ok()) {
            ParseError first = parsed.errors().get(0);
            return result(target, slot, startedMs, t0, List.of(), parsed.refused() + " error(s) in the "
                    + (OpenMetricsParser.isOpenMetrics(contentType) ? "OpenMetrics" : "Prometheus text") + " answer, "
                    + "first: " + first);
        }
        return result(target, slot, startedMs, t0, parsed.samples(), null);
    }

    private CrawlResult probe(CrawlTarget target, long slot, long startedMs, long t0, HttpResponse<byte[]> r) {
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<ParsedSample> own = List.of(
                sample("probe_http_status_code", r.statusCode(), MetricType.GAUGE),
                sample("probe_duration_seconds", seconds, MetricType.GAUGE));
        String error = r.statusCode() < 400 ? null : "server returned HTTP status " + r.statusCode();
        return result(target, slot, startedMs, t0, own, error);
    }

    private static CrawlResult result(CrawlTarget target, long slot, long startedMs, long t0, List<ParsedSample> own,
            String error) {
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean probe = target.kind().equals("http");
        List<ParsedSample> samples = new ArrayList<>(own.size() + 3);
        Labels targetLabels = Labels.of(target.labels());
        for (ParsedSample s : (error == null || probe) ? own : List.<ParsedSample>of()) {
            samples.add(new ParsedSample(s.name(), withTargetLabels(s.labels(), target.labels()), s.value(),
                    s.timestampMs() != null ? s.timestampMs() : startedMs, s.type(), s.line(), s.kind()));
        }
        int scraped = error == null || probe ? own.size() : 0;
        samples.add(new ParsedSample("up", targetLabels, error == null ? 1 : 0, startedMs, MetricType.GAUGE, 0));
        samples.add(new ParsedSample("scrape_duration_seconds", targetLabels, seconds, startedMs, MetricType.GAUGE, 0));
        samples.add(new ParsedSample("scrape_samples_scraped", targetLabels, scraped, startedMs, MetricType.GAUGE, 0));
        return new CrawlResult(target, slot, startedMs, List.copyOf(samples), Math.round(seconds * 1000), error);
    }

    private static ParsedSample sample(String name, double value, MetricType type) {
        return new ParsedSample(name, Labels.EMPTY, value, null, type, 0);
    }

    /** The target labels over a scraped sample's own; an own label they replace is kept as exported_<name>. */
    static Labels withTargetLabels(Labels own, Map<String, String> target) {
        Map<String, String> merged = new java.util.HashMap<>(own.size() + target.size());
        own.forEach(merged::put);
        target.forEach((name, value) -> {
            String before = merged.put(name, value);
            if (before != null && !before.equals(value)) {
                merged.put("exported_" + name, before);
            }
        });
        return Labels.of(merged);
    }

    private static String describe(Throwable failure, CrawlTarget target) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof HttpTimeoutException) {
            return "no answer within the timeout of " + target.timeout().toMillis() + " ms";
        }
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return "the answer did not arrive whole within the timeout of " + target.timeout().toMillis() + " ms";
        }
        if (cause instanceof HttpError e) {
            return e.getMessage();
        }
        String message = cause.getMessage();
        // the JDK's client gives these without a message: a ConnectException, caused by an unresolved address when
        // the name is unknown
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
                return "unknown host " + target.url().getHost();
            }
        }
        if (cause instanceof java.net.ConnectException && message == null) {
            return "cannot connect to " + CrawlTarget.instance(target.url()) + " (refused or unreachable)";
        }
        return cause.getClass().getSimpleName() + (message != null ? ": " + message : "");
    }

    /**
     * Collects a response body up to a limit and fails beyond it. Written here because the JDK's own body
     * handlers buffer without bound, and one answer far too large must fail its crawl, not the crawler.
     */
    static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final long max;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private Flow.Subscription subscription;

        LimitedBody(long max) {
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer b : buffers) {
                if (out.size() + (long) b.remaining() > max) {
                    body.completeExceptionally(new HttpError(413, "the answer is larger than crawler.max_response_bytes ("
                            + max + ")"));
                    subscription.cancel();
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            body.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            body.complete(out.toByteArray());
        }
    }
}
