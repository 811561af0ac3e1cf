package io.caiman.gateway.http;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.wire.ExtraLabels;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.openmetrics.OpenMetricsParser;
import io.caiman.core.wire.prometheus.PrometheusTextParser;
import io.caiman.core.wire.prometheus.ProtobufExpositionParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /api/v1/import/prometheus}: the Prometheus text format 0.0.4, or by {@code Content-Type} OpenMetrics
 * 1.0 ({@code application/openmetrics-text}) or the protobuf exposition format
 * ({@code application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited}); plain
 * or gzip.
 */
public final class PrometheusTextDecoder implements IngestHandler.Decoder {

    public static final String PROTOCOL = "prometheus-text";
    public static final String WHAT = "the Prometheus text body";

    private final PrometheusTextParser text;
    private final OpenMetricsParser openMetrics;
    private final ProtobufExpositionParser protobuf;
    private final long maxBytes;

    public PrometheusTextDecoder(GatewaySettings settings) {
        this.text = new PrometheusTextParser(settings.sampleLimits());
        this.openMetrics = new OpenMetricsParser(settings.sampleLimits());
        this.protobuf = new ProtobufExpositionParser(settings.sampleLimits());
        this.maxBytes = settings.maxRequestBytes();
    }

    /**
     * Parses the body and adds the {@code extra_label=name=value} query parameters to every sample,
     * replacing a sample's own label of that name, as VictoriaMetrics does.
     */
    @Override
    public ParseResult decode(HttpExchange exchange, byte[] body) {
        List<String> problems = new ArrayList<>();
        Map<String, String> extra = ExtraLabels.parsePairs(exchange.queryValues("extra_label"), problems);
        if (!problems.isEmpty()) {
            throw new HttpError(400, problems.get(0));
        }
        return ExtraLabels.apply(parse(exchange, body), extra, true, PROTOCOL);
    }

    /** The body as Prometheus text or OpenMetrics, by its Content-Type. */
    ParseResult parse(HttpExchange exchange, byte[] body) {
        String contentType = exchange.header("Content-Type");
        if (ProtobufExpositionParser.isProtobuf(contentType)) {
            String framing = ProtobufExpositionParser.unsupportedEncoding(contentType);
            if (framing != null) {
                throw new HttpError(415, "Content-Type " + contentType + ": encoding " + framing + " is not supported; "
                        + "send encoding=delimited, text/plain; version=0.0.4 or application/openmetrics-text");
            }
            return protobuf.parse(HttpExchange.decodeContent(exchange.header("Content-Encoding"), body, maxBytes));
        }
        if (contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).contains("protobuf")) {
            throw new HttpError(415, "Content-Type " + contentType + " is not supported; send the protobuf exposition "
                    + "format (proto=" + ProtobufExpositionParser.PROTO + "; encoding=delimited), text/plain; "
                    + "version=0.0.4 or application/openmetrics-text");
        }
        byte[] decoded = HttpExchange.decodeContent(exchange.header("Content-Encoding"), body, maxBytes);
        return OpenMetricsParser.isOpenMetrics(exchange.header("Content-Type"))
                ? openMetrics.parse(decoded) : text.parse(decoded);
    }

    @Override
    public String what(HttpExchange exchange) {
        String contentType = exchange.header("Content-Type");
        return OpenMetricsParser.isOpenMetrics(contentType) ? "the OpenMetrics body"
                : ProtobufExpositionParser.isProtobuf(contentType) ? "the protobuf exposition body" : null;
    }
}
