package io.caiman.gateway.http;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.gateway.oplog.OplogWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path every HTTP ingest protocol shares: read the body within the size limit, decode it with
 * the protocol's {@link Decoder}, and then, all or nothing,
 *
 * <ul>
 *   <li>400 naming every bad line or series, with nothing of the request written;
 *   <li>2xx only after Kafka acknowledged every sample of the request;
 *   <li>503 with {@code Retry-After} when Kafka cannot take it (the sender retries);
 *   <li>413 / 415 for bodies that are too large or encoded in a way the protocol does not speak.
 * </ul>
 */
public final class IngestHandler implements Consumer<HttpExchange> {

    private static final Logger log = LoggerFactory.getLogger(IngestHandler.class);
    static final String RETRY_AFTER_SECONDS = "5";
    /** At most this many errors are listed in a 400 body. */
    static final int LISTED_ERRORS = 20;

    /** How one protocol turns a request body into samples. */
    public interface Decoder {
        /**
         * @param body the body as sent (no Content-Encoding undone)
         * @throws HttpError for a request the protocol refuses as a whole (415, 413, 400)
         */
        ParseResult decode(HttpExchange exchange, byte[] body);

        /** Headers for a successful answer (remote write 2.0 reports what was written). */
        default Map<String, String> successHeaders(HttpExchange exchange, ParseResult result) {
            return Map.of();
        }
    }

    private final String protocol;
    private final String what;
    private final Decoder decoder;
    private final OplogWriter writer;
    private final GatewaySettings settings;
    private final String instance;
    private final InflightBudget budget;
    private final Counter accepted;
    private final Counter rejected;

    /**
     * @param protocol the protocol name recorded in each sample's origin and in metrics
     * @param what how a 400 names the body, e.g. "the Prometheus text body"
     */
    public IngestHandler(String protocol, String what, Decoder decoder, OplogWriter writer, GatewaySettings settings,
            String instance, InflightBudget budget, MeterRegistry registry) {
        this.budget = budget;
        this.protocol = protocol;
        this.what = what;
        this.decoder = decoder;
        this.writer = writer;
        this.settings = settings;
        this.instance = instance;
        this.accepted = Counter.builder("caiman_gateway_samples_accepted").tag("protocol", protocol)
                .description("Samples acknowledged by Kafka and answered 2xx").register(registry);
        this.rejected = Counter.builder("caiman_gateway_samples_rejected").tag("protocol", protocol)
                .description("Samples in requests answered 4xx/5xx (never written, or to be retried)").register(registry);
    }

    @Override
    public void accept(HttpExchange exchange) {
        long receivedMs = System.currentTimeMillis();
        String tenant = tenant(exchange);
        long declared = exchange.contentLength();
        InflightBudget.Reservation reservation = budget.reserve(declared >= 0 && declared <= settings.maxRequestBytes()
                ? declared : settings.maxRequestBytes());
        if (reservation == null) {
            overBudget(exchange);
            return;
        }
        try {
            exchange.rawBody(settings.maxRequestBytes()).whenComplete((body, failure) -> {
                try {
                    if (failure != null) {
                        answerError(exchange, failure);
                        reservation.release();
                        return;
                    }
                    handle(exchange, body, tenant, receivedMs, reservation);
                } catch (RuntimeException e) {
                    reservation.release();
                    log.error("gateway [{}] {} request from {} failed", instance, protocol, exchange.remote(), e);
                    exchange.respondText(500, "internal error: " + e);
                }
            });
        } catch (RuntimeException e) {
            reservation.release();
            throw e;
        }
    }

    private void handle(HttpExchange exchange, byte[] body, String tenant, long receivedMs,
            InflightBudget.Reservation reservation) {
        ParseResult result;
        try {
            result = decoder.decode(exchange, body);
        } catch (HttpError e) {
            reservation.release();
            exchange.respondText(e.status(), e.getMessage());
            return;
        }
        if (!result.ok()) {
            reservation.release();
            rejected.increment(result.samples().size());
            exchange.respondText(400, describe(what, result.errors()));
            return;
        }
        if (result.samples().size() > settings.maxSamplesPerRequest()) {
            reservation.release();
            rejected.increment(result.samples().size());
            exchange.respondText(400, "the request has " + result.samples().size() + " samples; the limit is "
                    + settings.maxSamplesPerRequest() + " (gateway.max_samples_per_request); send smaller batches");
            return;
        }
        List<ProducerRecord<byte[], byte[]>> records = writer.records(result.samples(), tenant, receivedMs, protocol, instance);
        if (!reservation.growTo(Math.max(body.length, OplogWriter.sizeOf(records)))) {
            reservation.release();
            rejected.increment(result.samples().size());
            overBudget(exchange);
            return;
        }
        write(exchange, result, records, reservation);
    }

    private void overBudget(HttpExchange exchange) {
        log.warn("gateway [{}] over its in-flight limit ({} of {} bytes held): {} request from {} answered 503", instance,
                budget.used(), budget.limit(), protocol, exchange.remote());
        exchange.respond(503, "text/plain; charset=utf-8", ("the gateway is holding its limit of " + budget.limit()
                + " bytes in flight (gateway.max_inflight_bytes): Kafka is slow or unavailable; retry\n")
                .getBytes(StandardCharsets.UTF_8), Map.of("Retry-After", RETRY_AFTER_SECONDS));
    }

    private static void answerError(HttpExchange exchange, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof HttpError) {
            exchange.respondText(((HttpError) cause).status(), cause.getMessage());
        } else {
            exchange.respondText(400, "cannot read the request body: " + cause);
        }
    }

    private void write(HttpExchange exchange, ParseResult result, List<ProducerRecord<byte[], byte[]>> records,
            InflightBudget.Reservation reservation) {
        int count = result.samples().size();
        writer.send(records, settings.ackTimeout())
                .whenComplete((written, error) -> {
                    // the records stay in the producer until acknowledged or expired; a timed-out answer
                    // releases its share early, which delivery.timeout.ms bounds
                    reservation.release();
                    if (error == null) {
                        accepted.increment(count);
                        exchange.respondEmpty(204, decoder.successHeaders(exchange, result));
                        return;
                    }
                    rejected.increment(count);
                    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    if (cause instanceof RecordTooLargeException) {
                        exchange.respondText(413, "a sample is larger than Kafka accepts: " + cause.getMessage());
                        return;
                    }
                    boolean unavailable = cause instanceof RetriableException || cause instanceof TimeoutException
                            || cause instanceof org.apache.kafka.common.errors.TimeoutException;
                    if (unavailable) {
                        log.warn("gateway [{}] oplog {} unavailable, {} {} samples from {} answered 503: {}", instance,
                                writer.cluster().oplogTopic(), count, protocol, exchange.remote(), cause.toString());
                    } else {
                        log.error("gateway [{}] oplog {} refused {} {} samples from {}", instance,
                                writer.cluster().oplogTopic(), count, protocol, exchange.remote(), cause);
                    }
                    String text = unavailable
                            ? "Kafka did not acknowledge the samples within " + settings.ackTimeout().toSeconds() + " s ("
                                    + cause.getClass().getSimpleName() + "); retry\n"
                            : "Kafka refused the samples: " + cause + "\n";
                    exchange.respond(503, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8),
                            Map.of("Retry-After", RETRY_AFTER_SECONDS));
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

    static String describe(String what, List<ParseError> errors) {
        StringBuilder sb = new StringBuilder();
        sb.append(errors.size() >= 100 ? "at least " : "").append(errors.size())
                .append(errors.size() == 1 ? " error" : " errors")
                .append(" in ").append(what).append("; nothing of this request was written:");
        errors.stream().limit(LISTED_ERRORS).forEach(e -> sb.append("\n").append(e));
        if (errors.size() > LISTED_ERRORS) {
            sb.append("\n… and ").append(errors.size() - LISTED_ERRORS).append(" more");
        }
        return sb.toString();
    }
}
