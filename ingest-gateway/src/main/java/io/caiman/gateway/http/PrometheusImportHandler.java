package io.caiman.gateway.http;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.prometheus.PrometheusTextParser;
import io.caiman.gateway.oplog.OplogWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/import/prometheus}: the Prometheus text format, as VictoriaMetrics serves it. All or
 * nothing: a request with any malformed line gets 400 naming every bad line, and nothing of it is written;
 * a good request gets 204 only after Kafka acknowledged every sample; when Kafka cannot take it, 503 with
 * {@code Retry-After} so the sender retries.
 */
public final class PrometheusImportHandler implements Consumer<HttpExchange> {

    private static final Logger log = LoggerFactory.getLogger(PrometheusImportHandler.class);
    static final String PROTOCOL = "prometheus-text";
    static final String RETRY_AFTER_SECONDS = "5";
    /** At most this many parse errors are listed in a 400 body. */
    static final int LISTED_ERRORS = 20;

    private final PrometheusTextParser parser = new PrometheusTextParser();
    private final OplogWriter writer;
    private final GatewaySettings settings;
    private final String instance;
    private final Counter accepted;
    private final Counter rejected;

    public PrometheusImportHandler(OplogWriter writer, GatewaySettings settings, String instance, MeterRegistry registry) {
        this.writer = writer;
        this.settings = settings;
        this.instance = instance;
        this.accepted = Counter.builder("caiman_gateway_samples_accepted").tag("protocol", PROTOCOL)
                .description("Samples acknowledged by Kafka and answered 2xx").register(registry);
        this.rejected = Counter.builder("caiman_gateway_samples_rejected").tag("protocol", PROTOCOL)
                .description("Samples in requests answered 4xx/5xx (never written, or to be retried)").register(registry);
    }

    @Override
    public void accept(HttpExchange exchange) {
        long receivedMs = System.currentTimeMillis();
        String tenant = tenant(exchange);
        exchange.body(settings.maxRequestBytes()).whenComplete((body, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                if (cause instanceof HttpError) {
                    exchange.respondText(((HttpError) cause).status(), cause.getMessage());
                } else {
                    exchange.respondText(400, "cannot read the request body: " + cause);
                }
                return;
            }
            ParseResult result = parser.parse(body);
            if (!result.ok()) {
                rejected.increment(result.samples().size());
                exchange.respondText(400, describe(result.errors()));
                return;
            }
            write(exchange, result, tenant, receivedMs);
        });
    }

    private void write(HttpExchange exchange, ParseResult result, String tenant, long receivedMs) {
        int count = result.samples().size();
        writer.send(writer.records(result.samples(), tenant, receivedMs, PROTOCOL, instance), settings.ackTimeout())
                .whenComplete((written, error) -> {
                    if (error == null) {
                        accepted.increment(count);
                        exchange.respondEmpty(204, Map.of());
                        return;
                    }
                    rejected.increment(count);
                    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    if (cause instanceof RecordTooLargeException) {
                        exchange.respondText(413, "a sample is larger than Kafka accepts: " + cause.getMessage());
                    } else if (cause instanceof RetriableException || cause instanceof TimeoutException
                            || cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                        log.warn("gateway [{}] oplog {} unavailable, {} samples from {} answered 503: {}", instance,
                                writer.cluster().oplogTopic(), count, exchange.remote(), cause.toString());
                        exchange.respond(503, "text/plain; charset=utf-8",
                                ("Kafka did not acknowledge the samples within " + settings.ackTimeout().toSeconds()
                                        + " s (" + cause.getClass().getSimpleName() + "); retry\n").getBytes(),
                                Map.of("Retry-After", RETRY_AFTER_SECONDS));
                    } else {
                        log.error("gateway [{}] oplog {} refused {} samples from {}", instance,
                                writer.cluster().oplogTopic(), count, exchange.remote(), cause);
                        exchange.respond(503, "text/plain; charset=utf-8",
                                ("Kafka refused the samples: " + cause + "\n").getBytes(), Map.of("Retry-After", RETRY_AFTER_SECONDS));
                    }
                });
    }

    private String tenant(HttpExchange exchange) {
        String tenant = exchange.header(settings.tenantHeader());
        if (tenant == null || tenant.isEmpty()) {
            return settings.defaultTenant();
        }
        String problem = Naming.validateTenant(tenant);
        if (problem != null) {
            throw new HttpError(400, "header " + settings.tenantHeader() + ": " + problem);
        }
        return tenant;
    }

    static String describe(List<ParseError> errors) {
        StringBuilder sb = new StringBuilder();
        sb.append(errors.size() >= PrometheusTextParser.MAX_ERRORS ? "at least " : "").append(errors.size())
                .append(errors.size() == 1 ? " error" : " errors")
                .append(" in the Prometheus text body; nothing of this request was written:");
        errors.stream().limit(LISTED_ERRORS).forEach(e -> sb.append("\n").append(e));
        if (errors.size() > LISTED_ERRORS) {
            sb.append("\n… and ").append(errors.size() - LISTED_ERRORS).append(" more");
        }
        return sb.toString();
    }
}
