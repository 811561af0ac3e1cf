package io.caiman.gateway.http;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpExchange;
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

    @Override
    public ParseResult decode(HttpExchange exchange, byte[] body) {
        byte[] decoded = HttpExchange.decodeContent(exchange.header("Content-Encoding"), body, maxBytes);
        return OpenMetricsParser.isOpenMetrics(exchange.header("Content-Type"))
                ? openMetrics.parse(decoded) : text.parse(decoded);
    }

    @Override
    public String what(HttpExchange exchange) {
        return OpenMetricsParser.isOpenMetrics(exchange.header("Content-Type")) ? "the OpenMetrics body" : null;
    }
}
