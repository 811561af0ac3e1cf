package io.caiman.gateway.line;

import io.caiman.core.config.EntrypointConfig;
import io.caiman.core.config.GatewaySettings;
import io.caiman.core.wire.MixedLines;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.graphite.GraphiteMappings;
import io.caiman.core.wire.graphite.GraphiteParser;
import io.caiman.core.wire.influx.LineProtocolDecoder.Precision;
import io.caiman.core.wire.influx.LineProtocolParser;
import io.caiman.core.wire.prometheus.PrometheusTextParser;
import io.caiman.core.wire.statsd.StatsdParser;
import io.caiman.gateway.http.InflightBudget;
import io.caiman.gateway.http.TenantRateLimiter;
import io.caiman.gateway.oplog.OplogWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.function.Function;

/** Builds the listener of a {@code tcp} or {@code udp} entrypoint for its {@code format}. */
public final class LineListeners {

    private LineListeners() {}

    /** A listener for {@code ep}, not started yet. */
    public static LineListener create(EntrypointConfig ep, GraphiteMappings mappings, OplogWriter oplog,
            GatewaySettings settings, InflightBudget budget, TenantRateLimiter limiter, MeterRegistry registry) {
        String protocol = ep.format().equals("auto") ? "raw-" + ep.protocol() : ep.format() + "-" + ep.protocol();
        LineWriter writer = new LineWriter(protocol, parser(ep.format(), mappings, settings, registry), oplog, settings,
                ep.instance().toString(), budget, limiter, registry);
        return ep.protocol().equals("tcp")
                ? new TcpLineListener(protocol, ep.listen(), writer, settings.maxLineBytes(), settings.maxConnections(),
                        settings.lineIdleTimeout())
                : new UdpLineListener(protocol, ep.listen(), writer, settings.maxLineBytes());
    }

    static Function<byte[], ParseResult> parser(String format, GraphiteMappings mappings, GatewaySettings settings,
            MeterRegistry registry) {
        Counter dropped = Counter.builder("caiman_gateway_graphite_dropped")
                .description("Graphite lines a mapping rule with action: drop matched").register(registry);
        GraphiteParser graphite = new GraphiteParser(settings.sampleLimits(), mappings, () -> dropped.increment());
        LineProtocolParser influx = new LineProtocolParser(settings.sampleLimits());
        PrometheusTextParser prometheus = new PrometheusTextParser(settings.sampleLimits());
        return switch (format) {
            case "statsd" -> {
                StatsdParser statsd = new StatsdParser(settings.sampleLimits(), settings.statsdBuckets());
                yield chunk -> statsd.parse(chunk, System.currentTimeMillis());
            }
            case "graphite" -> chunk -> graphite.parse(chunk, System.currentTimeMillis()).result();
            case "influx" -> chunk -> influx.parse(chunk, Precision.NANOSECONDS, System.currentTimeMillis() * 1_000_000L,
                    Map.of()).result();
            case "prometheus" -> prometheus::parse;
            default -> {
                MixedLines mixed = new MixedLines(prometheus, graphite, influx);
                yield chunk -> mixed.parse(chunk, System.currentTimeMillis());
            }
        };
    }
}
