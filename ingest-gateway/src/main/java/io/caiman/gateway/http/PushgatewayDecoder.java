package io.caiman.gateway.http;

import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.http.UrlDecoding;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.ExtraLabels;
import io.caiman.core.wire.ParseResult;
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
        Map<String, String> grouping = groupingKey(exchange.rawPath());
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
     * The grouping key of a push path, read from the path as it came (still percent-encoded): split at each
     * {@code /}, then each segment decoded, so that {@code %2F} in a value is a {@code /} of the value, as a client
     * that encodes its values means it, and {@code +} is a plus (path decoding, as Pushgateway's; not form decoding,
     * which would make it a space).
     *
     * @throws HttpError 400 naming what is wrong with the path
     */
    static Map<String, String> groupingKey(String rawPath) {
        String[] parts = rawPath.substring("/metrics/".length()).split("/", -1);
        if (parts.length % 2 != 0) {
            throw new HttpError(400, "the push path " + rawPath + " must be /metrics/job/<job>{/<label>/<value>}");
        }
        Map<String, String> key = new TreeMap<>();
        for (int i = 0; i < parts.length; i += 2) {
            String name = UrlDecoding.decode(parts[i], false, "the push path " + rawPath + ": a label name");
            String value;
            if (name.endsWith("@base64")) {
                name = name.substring(0, name.length() - "@base64".length());
                byte[] encoded = UrlDecoding.bytes(parts[i + 1], false, "the push path " + rawPath + ": the value of " + name);
                int length = encoded.length;
                while (length > 0 && encoded[length - 1] == '=') { // padding is optional; "=" alone is the empty value
                    length--;
                }
                byte[] bytes;
                try {
                    bytes = Base64.getUrlDecoder().decode(java.util.Arrays.copyOf(encoded, length));
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "the value of " + name + " in the push path is not URL-safe base64");
                }
                value = UrlDecoding.text(bytes, "the push path " + rawPath + ": the value of " + name);
            } else {
                value = UrlDecoding.decode(parts[i + 1], false, "the push path " + rawPath + ": the value of " + name);
            }
            if (i == 0 && !name.equals("job")) {
                throw new HttpError(400, "the push path " + rawPath + " must start /metrics/job/<job>");
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
