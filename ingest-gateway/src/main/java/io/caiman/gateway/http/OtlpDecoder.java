package io.caiman.gateway.http;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.wire.Json;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.otlp.OtlpMetricsParser;
import io.caiman.core.wire.otlp.OtlpMetricsParser.Encoding;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * OpenTelemetry metrics over HTTP (OTLP/HTTP, {@code POST /v1/metrics}), as the OpenTelemetry SDKs' and the
 * Collector's OTLP/HTTP exporters send them: protobuf ({@code application/x-protobuf}) or JSON
 * ({@code application/json}), plain or gzip. Translated by {@link OtlpMetricsParser}.
 *
 * <p>Answers as the OTLP specification asks, in the request's encoding: 200 with an
 * {@code ExportMetricsServiceResponse} once Kafka has acknowledged the samples — carrying
 * {@code partial_success} (how many data points were refused and why) when some were, so the exporter drops
 * them instead of retrying; 400 with a {@code google.rpc.Status} when nothing of the request can be written;
 * 415 for another content type; 429 and 503 (retryable in OTLP) with {@code Retry-After}.
 */
public final class OtlpDecoder implements IngestHandler.Decoder {

    public static final String PROTOCOL = "otlp";
    public static final String WHAT = "the OTLP metrics request";
    /** The path the specification gives, and where Prometheus, Mimir and VictoriaMetrics take OTLP too. */
    public static final List<String> PATHS = List.of("/v1/metrics", "/opentelemetry/v1/metrics",
            "/api/v1/otlp/v1/metrics", "/otlp/v1/metrics");

    private final OtlpMetricsParser parser;
    private final long maxBytes;

    public OtlpDecoder(GatewaySettings settings) {
        this.parser = new OtlpMetricsParser(settings.sampleLimits());
        this.maxBytes = settings.maxRequestBytes();
    }

    @Override
    public ParseResult decode(HttpExchange exchange, byte[] body) {
        Encoding encoding = Encoding.of(exchange.header("Content-Type"));
        if (encoding == null) {
            throw new HttpError(415, "Content-Type " + exchange.header("Content-Type") + " is not supported for OTLP; "
                    + "send application/x-protobuf or application/json");
        }
        return parser.parse(HttpExchange.decodeContent(exchange.header("Content-Encoding"), body, maxBytes), encoding);
    }

    @Override
    public int successStatus() {
        return 200;
    }

    @Override
    public IngestHandler.Body successBody(HttpExchange exchange, ParseResult result) {
        return response(exchange, ExportMetricsServiceResponse.getDefaultInstance());
    }

    @Override
    public boolean partialWrites() {
        return true;
    }

    @Override
    public IngestHandler.Answer partialAnswer(HttpExchange exchange, ParseResult result, String text) {
        return new IngestHandler.Answer(200, response(exchange, ExportMetricsServiceResponse.newBuilder()
                .setPartialSuccess(ExportMetricsPartialSuccess.newBuilder()
                        .setRejectedDataPoints(result.refused()).setErrorMessage(text))
                .build()));
    }

    /** A {@code google.rpc.Status}, as OTLP/HTTP servers answer a failure; plain text for an unknown encoding. */
    @Override
    public IngestHandler.Body errorBody(HttpExchange exchange, int status, String text) {
        Encoding encoding = Encoding.of(exchange.header("Content-Type"));
        int code = grpcCode(status);
        if (encoding == Encoding.JSON) {
            return new IngestHandler.Body("application/json",
                    ("{\"code\":" + code + ",\"message\":" + Json.quote(text) + "}").getBytes(StandardCharsets.UTF_8));
        }
        if (encoding == null) {
            return IngestHandler.Body.text(text);
        }
        // google.rpc.Status { int32 code = 1; string message = 2; }: two fields, written without its generated class
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            out.writeInt32(1, code);
            out.writeString(2, text);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new IngestHandler.Body("application/x-protobuf", bytes.toByteArray());
    }

    private static IngestHandler.Body response(HttpExchange exchange, ExportMetricsServiceResponse response) {
        if (Encoding.of(exchange.header("Content-Type")) == Encoding.JSON) {
            try {
                return new IngestHandler.Body("application/json",
                        JsonFormat.printer().omittingInsignificantWhitespace().print(response)
                                .getBytes(StandardCharsets.UTF_8));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("cannot print an OTLP response as JSON", e);
            }
        }
        return new IngestHandler.Body("application/x-protobuf", response.toByteArray());
    }

    /** The gRPC status code OTLP pairs with an HTTP status. */
    private static int grpcCode(int status) {
        return switch (status) {
            case 400, 413, 415 -> 3; // INVALID_ARGUMENT
            case 401 -> 16; // UNAUTHENTICATED
            case 429 -> 8; // RESOURCE_EXHAUSTED
            case 503 -> 14; // UNAVAILABLE
            default -> 13; // INTERNAL
        };
    }
}
