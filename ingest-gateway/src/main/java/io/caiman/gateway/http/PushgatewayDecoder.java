package io.caiman.gateway.http;

import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.ExtraLabels;
import io.caiman.core.wire.ParseResult;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pushgateway-style pushes: {@code PUT} or {@code POST /metrics/job/<job>{/<label>/<value>}}, with a
 * Prometheus text or OpenMetrics body, as Pushgateway clients send them. The grouping key becomes labels of
 * every sample ({@code job} and the pairs); a segment ending in {@code @base64} is URL-safe base64, as in
 * Pushgateway. A sample that already has a grouping label with another value is refused (400), never
 * rewritten.
 *
 * <p>Unlike Pushgateway, Caiman keeps no group to replace: every push is written as new samples
 * ({@code PUT} and {@code POST} behave alike), and there is no {@code DELETE}.
 */
public final class PushgatewayDecoder implements IngestHandler.Decoder {

    public static final String PREFIX = "/metrics/job";
    public static final String PROTOCOL = "pushgateway";

    private final PrometheusTextDecoder text;

    public PushgatewayDecoder(PrometheusTextDecoder text) {
        this.text = text;
    }

    @Override
    public ParseResult decode(HttpExchange exchange, byte[] body) {
        Map<String, String> grouping = groupingKey(exchange.path());
        return ExtraLabels.apply(text.parse(exchange, body), grouping, false, PROTOCOL);
    }

    @Override
    public int successStatus() {
        return 200;
    }

    @Override
    public String what(HttpExchange exchange) {
        return text.what(exchange);
    }

    /**
     * The grouping key of a push path.
     *
     * @throws HttpError 400 naming what is wrong with the path
     */
    static Map<String, String> groupingKey(String path) {
        String[] parts = path.substring("/metrics/".length()).split("/", -1);
        if (parts.length % 2 != 0) {
            throw new HttpError(400, "the push path " + path + " must be /metrics/job/<job>{/<label>/<value>}");
        }
        Map<String, String> key = new TreeMap<>();
        for (int i = 0; i < parts.length; i += 2) {
            String name = parts[i];
            String value = parts[i + 1];
            if (name.endsWith("@base64")) {
                name = name.substring(0, name.length() - "@base64".length());
                try {
                    value = new String(Base64.getUrlDecoder().decode(value.replace("=", "")), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "the value of " + name + " in the push path is not URL-safe base64");
                }
            } else {
                value = java.net.URLDecoder.decode(value, StandardCharsets.UTF_8);
            }
            if (i == 0 && !name.equals("job")) {
                throw new HttpError(400, "the push path " + path + " must start /metrics/job/<job>");
            }
            String problem = Naming.validateLabelName(name);
            if (problem != null) {
                throw new HttpError(400, "the push path: " + problem);
            }
            if (i == 0 && value.isEmpty()) {
                throw new HttpError(400, "the push path must name a job: /metrics/job/<job>");
            }
            if (key.put(name, value) != null) {
                throw new HttpError(400, "the push path names " + name + " twice");
            }
        }
        return key;
    }
}
