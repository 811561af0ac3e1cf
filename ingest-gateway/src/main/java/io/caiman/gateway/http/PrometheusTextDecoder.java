package io.caiman.gateway.http;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.wire.ExtraLabels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.openmetrics.OpenMetricsParser;
import io.caiman.core.wire.prometheus.PrometheusTextParser;

/**
 * {@code POST /api/v1/import/prometheus}: the Prometheus text format 0.0.4, or OpenMetrics 1.0 when the
 * {@code Content-Type} is {@code application/openmetrics-text}; plain or gzip.
 */
public final class PrometheusTextDecoder implements IngestHandler.Decoder {

    public static final String PROTOCOL = "prometheus-text";
    public static final String WHAT = "the Prometheus text body";

    private final PrometheusTextParser text;
    private final OpenMetricsParser openMetrics;
    private final long maxBytes;

    public PrometheusTextDecoder(GatewaySettings settings) {
        this.text = new PrometheusTextParser(settings.sampleLimits());
        this.openMetrics = new OpenMetricsParser(settings.sampleLimits());
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
        if (contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).contains("protobuf")) {
            throw new HttpError(415, "Content-Type " + contentType + " (the protobuf exposition format) is not supported; "
                    + "send text/plain; version=0.0.4 or application/openmetrics-text");
        }
        byte[] decoded = HttpExchange.decodeContent(exchange.header("Content-Encoding"), body, maxBytes);
        return OpenMetricsParser.isOpenMetrics(exchange.header("Content-Type"))
                ? openMetrics.parse(decoded) : text.parse(decoded);
    }

    @Override
    public String what(HttpExchange exchange) {
        return OpenMetricsParser.isOpenMetrics(exchange.header("Content-Type")) ? "the OpenMetrics body" : null;
    }
}
