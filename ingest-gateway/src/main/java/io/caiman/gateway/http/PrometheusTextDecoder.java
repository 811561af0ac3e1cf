package io.caiman.gateway.http;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.prometheus.PrometheusTextParser;

/**
 * {@code POST /api/v1/import/prometheus}: the Prometheus text format, as VictoriaMetrics serves it,
 * plain or gzip.
 */
public final class PrometheusTextDecoder implements IngestHandler.Decoder {

    public static final String PROTOCOL = "prometheus-text";
    public static final String WHAT = "the Prometheus text body";

    private final PrometheusTextParser parser;
    private final long maxBytes;

    public PrometheusTextDecoder(GatewaySettings settings) {
        this.parser = new PrometheusTextParser(settings.sampleLimits());
        this.maxBytes = settings.maxRequestBytes();
    }

    @Override
    public ParseResult decode(HttpExchange exchange, byte[] body) {
        return parser.parse(HttpExchange.decodeContent(exchange.header("Content-Encoding"), body, maxBytes));
    }
}
