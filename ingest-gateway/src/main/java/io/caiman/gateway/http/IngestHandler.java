package io.caiman.gateway.http;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.gateway.http.GatewayMetrics.Reason;
import io.caiman.gateway.oplog.OplogWriter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path every HTTP ingest protocol shares: reserve room in the in-flight budget, read the body
 * within the size limit, decode it with the protocol's {@link Decoder}, and then, all or nothing,
 *
 * <ul>
 *   <li>400 naming every bad line or series, with nothing of the request written;
 *   <li>2xx only after Kafka acknowledged every sample of the request;
 *   <li>503 with {@code Retry-After} when Kafka cannot take it, or the gateway already holds its
 *       in-flight limit (the sender retries; nothing queues without bound);
 *   <li>429 with {@code Retry-After} when the tenant is over its sample rate ({@link TenantRateLimiter});
 *   <li>401 without valid credentials, 403 for a tenant header the credentials may not write to, when the
 *       gateway has an auth file ({@link Credentials}); the tenant is then the credentials';
 *   <li>413 / 415 for bodies that are too large or encoded in a way the protocol does not speak.
 * </ul>
 *
 * Every answer is counted by status, and every refused sample by reason; refusals are logged, rate-limited.
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

        /** How a 400 names this request's body, or {@code null} for the handler's default. */
        default String what(HttpExchange exchange) {
            return null;
        }

        /** The status of a successful answer: 204, as Prometheus' receivers answer; Pushgateway answers 200. */
        default int successStatus() {
            return 204;
        }

        /** Headers for a successful answer (remote write 2.0 reports what was written). */
        default Map<String, String> successHeaders(HttpExchange exchange, ParseResult result) {
            return Map.of();
        }

        /** The body of a successful answer (OTLP answers with a response message), or {@code null} for none. */
        default Body successBody(HttpExchange exchange, ParseResult result) {
            return null;
        }

        /**
         * Whether a body with some bad entries still has its good ones written, as InfluxDB's partial writes
         * and OTLP's partial success do; the answer ({@link #partialAnswer}) is sent after Kafka acknowledged the
         * good ones. Otherwise a request is all or nothing.
         */
        default boolean partialWrites() {
            return false;
        }

        /**
         * The answer to a partial write, {@code text} naming what was refused: 400 {@code partial write} by
         * default, as InfluxDB answers; OTLP answers 200 with its {@code partial_success} message.
         */
        default Answer partialAnswer(HttpExchange exchange, ParseResult result, String text) {
            return new Answer(400, errorBody(exchange, 400, text));
        }

        /** A refusal's body as the protocol's clients read it: plain text unless they expect otherwise. */
        default Body errorBody(HttpExchange exchange, int status, String text) {
            return Body.text(text);
        }
    }

    /** The body of an answer. */
    public record Body(String contentType, byte[] bytes) {
        public static Body text(String text) {
            return new Body("text/plain; charset=utf-8", (text + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A status and its body. */
    public record Answer(int status, Body body) {}

    /**
     * What every protocol's handler of one entrypoint shares.
     *
     * @param instance the advertised address, recorded in each sample's origin
     * @param credentials the auth file's credentials, or {@code null} when requests are not authenticated
     */
    public record Context(OplogWriter writer, GatewaySettings settings, String instance, InflightBudget budget,
            TenantRateLimiter limiter, Credentials credentials, MeterRegistry registry) {}

    private final String protocol;
    private final String what;
    private final Decoder decoder;
    private final OplogWriter writer;
    private final GatewaySettings settings;
    private final String instance;
    private final InflightBudget budget;
    private final TenantRateLimiter limiter;
    private final Credentials credentials;
    private final GatewayMetrics metrics;

    /**
     * @param protocol the protocol name recorded in each sample's origin and in metrics
     * @param what how a 400 names the body, e.g. "the Prometheus text body"
     */
    public IngestHandler(String protocol, String what, Decoder decoder, Context context) {
        this.protocol = protocol;
        this.what = what;
        this.decoder = decoder;
        this.writer = context.writer();
        this.settings = context.settings();
        this.instance = context.instance();
        this.budget = context.budget();
        this.limiter = context.limiter();
        this.credentials = context.credentials();
        this.metrics = new GatewayMetrics(context.registry(), protocol);
    }

    @Override
    public void accept(HttpExchange exchange) {
        long receivedMs = System.currentTimeMillis();
        String tenant;
        if (credentials != null) {
            Credentials.Outcome outcome = credentials.authenticate(exchange, exchange.header(settings.tenantHeader()));
            if (!outcome.ok()) {
                refuse(exchange, outcome.status(), outcome.reason(), Reason.UNAUTHORIZED, 0,
                        outcome.status() == 401 ? Map.of("WWW-Authenticate", Credentials.CHALLENGE) : Map.of());
                return;
            }
            tenant = outcome.tenant();
        } else {
            try {
                tenant = tenant(exchange);
            } catch (HttpError e) {
                refuse(exchange, e.status(), e.getMessage(), Reason.INVALID, 0, Map.of());
                return;
            }
        }
        long declared = exchange.contentLength();
        InflightBudget.Reservation reservation = budget.reserve(declared >= 0 && declared <= settings.maxRequestBytes()
                ? declared : settings.maxRequestBytes());
        if (reservation == null) {
            overBudget(exchange, 0);
            return;
        }
        try {
            exchange.rawBody(settings.maxRequestBytes()).whenComplete((body, failure) -> {
                try {
                    if (failure != null) {
                        reservation.release();
                        Throwable cause = unwrap(failure);
                        if (cause instanceof HttpError) {
                            HttpError e = (HttpError) cause;
                            refuse(exchange, e.status(), e.getMessage(), reasonOf(e), 0, e.status() == 503
                                    ? Map.of("Retry-After", RETRY_AFTER_SECONDS) : Map.of());
                        } else {
                            refuse(exchange, 400, "cannot read the request body: " + cause, Reason.INVALID, 0, Map.of());
                        }
                        return;
                    }
                    handle(exchange, body, tenant, receivedMs, reservation);
                } catch (RuntimeException e) {
                    reservation.release();
                    log.error("gateway [{}] {} request from {} failed", instance, protocol, exchange.remote(), e);
                    answer(exchange, 500, "internal error: " + e, Map.of());
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
        long t0 = System.nanoTime();
        try {
            result = decoder.decode(exchange, body);
        } catch (HttpError e) {
            reservation.release();
            refuse(exchange, e.status(), e.getMessage(), reasonOf(e), 0, Map.of());
            return;
        } finally {
            metrics.decoded(System.nanoTime() - t0);
        }
        int count = result.count();
        String own = decoder.what(exchange);
        String named = own != null ? own : what;
        String partial = null;
        if (!result.ok()) {
            if (!decoder.partialWrites() || count == 0) {
                reservation.release();
                refuse(exchange, 400, describe(named, result.errors()), Reason.INVALID, count + result.refused(),
                        Map.of());
                return;
            }
            partial = describePartial(named, result.errors());
        }
        if (count > settings.maxSamplesPerRequest()) {
            reservation.release();
            refuse(exchange, 400, "the request has " + count + " samples; the limit is " + settings.maxSamplesPerRequest()
                    + " (gateway.max_samples_per_request); send smaller batches", Reason.TOO_MANY_SAMPLES, count, Map.of());
            return;
        }
        long wait = limiter.tryTake(tenant, count);
        if (wait > 0) {
            reservation.release();
            refuse(exchange, 429, "tenant " + tenant + " is over its limit of " + (long) limiter.rate(tenant)
                    + " samples/s (gateway.tenant_sample_rate); retry in " + wait + " s", Reason.RATE_LIMITED, count,
                    Map.of("Retry-After", Long.toString(wait)));
            return;
        }
        long t1 = System.nanoTime();
        List<ProducerRecord<byte[], byte[]>> records = writer.records(result.batch(), tenant, receivedMs, protocol, instance);
        metrics.recordsMade(System.nanoTime() - t1);
        if (!reservation.growTo(Math.max(body.length, OplogWriter.sizeOf(records)))) {
            reservation.release();
            overBudget(exchange, count);
            return;
        }
        write(exchange, result, tenant, records, reservation, partial);
    }

    /**
     * @param partial for a partial write, the 400 to answer once the good samples are acknowledged
     */
    private void write(HttpExchange exchange, ParseResult result, String tenant,
            List<ProducerRecord<byte[], byte[]>> records, InflightBudget.Reservation reservation, String partial) {
        int count = result.count();
        long t0 = System.nanoTime();
        CompletableFuture<Integer> sent = writer.send(records, settings.ackTimeout());
        metrics.sent(System.nanoTime() - t0);
        sent.whenComplete((written, error) -> {
            // records the producer still holds after a timed-out answer are bounded by delivery.timeout.ms
            reservation.release();
            if (error == null) {
                metrics.acknowledged(System.nanoTime() - t0);
                metrics.accepted(tenant, count);
                if (partial != null) {
                    Answer answer = decoder.partialAnswer(exchange, result, partial);
                    rejected(exchange, answer.status(), partial, Reason.INVALID, result.refused());
                    metrics.request(answer.status());
                    exchange.respond(answer.status(), answer.body().contentType(), answer.body().bytes(), Map.of());
                    return;
                }
                metrics.request(decoder.successStatus());
                Body success = decoder.successBody(exchange, result);
                if (success == null) {
                    exchange.respondEmpty(decoder.successStatus(), decoder.successHeaders(exchange, result));
                } else {
                    exchange.respond(decoder.successStatus(), success.contentType(), success.bytes(),
                            decoder.successHeaders(exchange, result));
                }
                return;
            }
            Throwable cause = unwrap(error);
            if (cause instanceof RecordTooLargeException) {
                refuse(exchange, 413, "a sample is larger than Kafka accepts: " + cause.getMessage(), Reason.TOO_LARGE,
                        count, Map.of());
                return;
            }
            boolean unavailable = cause instanceof RetriableException || cause instanceof TimeoutException
                    || cause instanceof org.apache.kafka.common.errors.TimeoutException;
            String text = unavailable
                    ? "Kafka did not acknowledge the samples within " + settings.ackTimeout().toSeconds() + " s ("
                            + cause.getClass().getSimpleName() + "); retry"
                    : "Kafka refused the samples: " + cause;
            refuse(exchange, 503, text, unavailable ? Reason.KAFKA_UNAVAILABLE : Reason.KAFKA_REFUSED, count,
                    Map.of("Retry-After", RETRY_AFTER_SECONDS));
        });
    }

    private void overBudget(HttpExchange exchange, int samples) {
        refuse(exchange, 503, "the gateway is holding its limit of " + budget.limit() + " bytes in flight "
                + "(gateway.max_inflight_bytes): Kafka is slow or unavailable; retry", Reason.OVER_INFLIGHT_LIMIT, samples,
                Map.of("Retry-After", RETRY_AFTER_SECONDS));
    }

    /** Answers a refusal, counts it, and logs it (rate-limited per reason). */
    private void refuse(HttpExchange exchange, int status, String text, Reason reason, long samples,
            Map<String, String> headers) {
        rejected(exchange, status, text, reason, samples);
        answer(exchange, status, text, headers);
    }

    private void rejected(HttpExchange exchange, int status, String text, Reason reason, long samples) {
        metrics.rejected(reason, samples);
        metrics.logRejection(log, reason, "gateway [{}] {} request from {} answered {} ({}): {}", instance, protocol,
                exchange.remote(), status, reason, firstLine(text));
    }

    private void answer(HttpExchange exchange, int status, String text, Map<String, String> headers) {
        metrics.request(status);
        Body body = decoder.errorBody(exchange, status, text);
        exchange.respond(status, body.contentType(), body.bytes(), headers);
    }

    private static Reason reasonOf(HttpError e) {
        // a body is refused with 503 only for arriving too slowly (HttpExchange's pace)
        return switch (e.status()) {
            case 413 -> Reason.TOO_LARGE;
            case 415 -> Reason.ENCODING;
            case 503 -> Reason.SLOW_BODY;
            default -> Reason.INVALID;
        };
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static String firstLine(String text) {
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl) + " …";
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
        return list(new StringBuilder().append(errors.size() >= 100 ? "at least " : "").append(errors.size())
                .append(errors.size() == 1 ? " error" : " errors")
                .append(" in ").append(what).append("; nothing of this request was written:"), errors);
    }

    /**
     * A partial write, in the words InfluxDB clients look for ({@code partial write}). Errors with a line are of a
     * text body (line protocol); the others of OTLP's data points, the only other body written in part.
     */
    static String describePartial(String what, List<ParseError> errors) {
        String unit = errors.get(0).line() > 0 ? "line" : "data point";
        return list(new StringBuilder("partial write: ").append(errors.size()).append(' ').append(unit)
                .append(errors.size() == 1 ? "" : "s").append(" of ").append(what).append(" refused; every other ")
                .append(unit).append(" was written:"), errors);
    }

    private static String list(StringBuilder sb, List<ParseError> errors) {
        errors.stream().limit(LISTED_ERRORS).forEach(e -> sb.append("\n").append(e));
        if (errors.size() > LISTED_ERRORS) {
            sb.append("\n… and ").append(errors.size() - LISTED_ERRORS).append(" more");
        }
        return sb.toString();
    }
}
