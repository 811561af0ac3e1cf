package io.caiman.gateway.http;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.wire.ExtraLabels;
import io.caiman.core.wire.Json;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.influx.LineProtocolDecoder.Precision;
import io.caiman.core.wire.influx.LineProtocolParser;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * InfluxDB line protocol, as InfluxDB 1.x ({@code POST /write}) and 2.x ({@code POST /api/v2/write}) take it:
 * {@code precision} ({@code ns u ms s m h} in 1.x, {@code ns us ms s} in 2.x; nanoseconds by default), plain or
 * gzip bodies, and InfluxDB's partial writes: the good lines are written and the answer is 400
 * {@code partial write} naming the bad ones, so Telegraf and the InfluxDB clients drop the bad lines instead of
 * retrying the batch. Errors are JSON as each version's clients parse them ({@code {"error": …}} in 1.x,
 * {@code {"code": …, "message": …}} in 2.x).
 *
 * <p>{@code db}, {@code rp}, {@code org} and {@code bucket} are accepted and not used: Caiman has one oplog per
 * cluster, and samples are named by {@link LineProtocolParser}'s rule. {@code extra_label=name=value} adds
 * labels, as on the Prometheus import. Credentials ({@code u}/{@code p}, {@code Authorization: Token …}) are
 * checked by {@link Credentials} when the gateway has an auth file.
 */
public final class InfluxDecoder implements IngestHandler.Decoder {

    public static final String PROTOCOL = "influx";
    public static final String WHAT = "the line-protocol body";
    /** The InfluxDB version these endpoints answer like, in {@code X-Influxdb-Version}. */
    public static final String COMPATIBLE_VERSION = "1.8.10";

    /** Which InfluxDB API a path belongs to. */
    public enum Api { V1, V2 }

    private final Api api;
    private final LineProtocolParser parser;
    private final long maxBytes;
    private final Counter stringFields;

    public InfluxDecoder(Api api, GatewaySettings settings, MeterRegistry registry) {
        this.api = api;
        this.parser = new LineProtocolParser(settings.sampleLimits());
        this.maxBytes = settings.maxRequestBytes();
        this.stringFields = Counter.builder("caiman_gateway_influx_string_fields_skipped")
                .description("String fields of accepted line-protocol entries: not samples, so not written")
                .register(registry);
    }

    @Override
    public ParseResult decode(HttpExchange exchange, byte[] body) {
        String name = exchange.queryValues("precision").stream().findFirst().orElse(null);
        Precision precision = Precision.parse(name);
        if (precision == null || (api == Api.V2 && name != null && !List.of("ns", "us", "ms", "s").contains(name))) {
            throw new HttpError(400, "precision " + name + " is not one of "
                    + (api == Api.V1 ? "ns, n, u, us, ms, s, m, h" : "ns, us, ms, s"));
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> extra = ExtraLabels.parsePairs(exchange.queryValues("extra_label"), problems);
        if (!problems.isEmpty()) {
            throw new HttpError(400, problems.get(0));
        }
        byte[] decoded = HttpExchange.decodeContent(exchange.header("Content-Encoding"), body, maxBytes);
        LineProtocolParser.Parsed parsed = parser.parse(decoded, precision, System.currentTimeMillis() * 1_000_000L, extra);
        stringFields.increment(parsed.stringFields());
        return parsed.result();
    }

    @Override
    public boolean partialWrites() {
        return true;
    }

    @Override
    public Map<String, String> successHeaders(HttpExchange exchange, ParseResult result) {
        return Map.of("X-Influxdb-Version", COMPATIBLE_VERSION);
    }

    @Override
    public IngestHandler.Body errorBody(HttpExchange exchange, int status, String text) {
        String json = api == Api.V1 ? "{\"error\":" + Json.quote(text) + "}"
                : "{\"code\":" + Json.quote(code(status)) + ",\"message\":" + Json.quote(text) + "}";
        return new IngestHandler.Body("application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /** InfluxDB 2's error codes, by status. */
    private static String code(int status) {
        return switch (status) {
            case 400 -> "invalid";
            case 401 -> "unauthorized";
            case 413 -> "request too large";
            case 415 -> "unsupported media type";
            case 429 -> "too many requests";
            case 503 -> "unavailable";
            default -> "internal error";
        };
    }

    /** {@code GET}/{@code HEAD /ping}: 204, as InfluxDB answers clients that check the server first. */
    public static void ping(HttpExchange exchange) {
        exchange.respondEmpty(204, Map.of("X-Influxdb-Version", COMPATIBLE_VERSION, "X-Influxdb-Build", "OSS"));
    }

    /**
     * {@code POST /query}: Telegraf's InfluxDB output sends {@code CREATE DATABASE} before its first write;
     * that is answered as done. Caiman does not serve InfluxQL: any other query is 501.
     */
    public static void query(HttpExchange exchange) {
        String q = exchange.queryValues("q").stream().findFirst().orElse("");
        if (q.isEmpty()) {
            exchange.body(64 * 1024).whenComplete((body, failure) -> query(exchange,
                    failure == null ? formValue(new String(body, StandardCharsets.UTF_8), "q") : ""));
        } else {
            query(exchange, q);
        }
    }

    private static void query(HttpExchange exchange, String q) {
        if (q.strip().toUpperCase(java.util.Locale.ROOT).startsWith("CREATE DATABASE")) {
            exchange.respond(200, "application/json", "{\"results\":[{\"statement_id\":0}]}".getBytes(StandardCharsets.UTF_8),
                    Map.of("X-Influxdb-Version", COMPATIBLE_VERSION));
        } else {
            exchange.respond(501, "application/json", ("{\"error\":" + Json.quote("Caiman takes writes only; it does not "
                    + "answer InfluxQL queries: " + q) + "}").getBytes(StandardCharsets.UTF_8), Map.of());
        }
    }

    private static String formValue(String form, String name) {
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return "";
    }
}
