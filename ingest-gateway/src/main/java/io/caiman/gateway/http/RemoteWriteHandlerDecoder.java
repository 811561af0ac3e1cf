package io.caiman.gateway.http;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.remotewrite.RemoteWriteDecoder;
import io.caiman.core.wire.remotewrite.RemoteWriteDecoder.Version;
import java.io.IOException;
import java.util.Map;

/**
 * {@code POST /api/v1/write}: Prometheus remote write 1.0 and 2.0, as Prometheus, Grafana Agent/Alloy and
 * vmagent send it: snappy + protobuf, the version chosen by the {@code Content-Type}'s {@code proto}
 * parameter. 204 on success; 2.0 answers also carry the
 * {@code X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written} headers. 400 (never retried by
 * senders) for invalid data, 415 for a proto or encoding Caiman does not speak, 413 for a body over the
 * limit, 503 when Kafka cannot take it.
 */
public final class RemoteWriteHandlerDecoder implements IngestHandler.Decoder {

    public static final String PROTOCOL = "remote-write";
    public static final String WHAT = "the remote-write request";

    private final RemoteWriteDecoder decoder;
    private final long maxBytes;

    public RemoteWriteHandlerDecoder(GatewaySettings settings) {
        this.decoder = new RemoteWriteDecoder(settings.sampleLimits());
        this.maxBytes = settings.maxRequestBytes();
    }

    @Override
    public ParseResult decode(HttpExchange exchange, byte[] body) {
        Version version = RemoteWriteDecoder.versionOf(exchange.header("Content-Type"));
        if (version == null) {
            throw new HttpError(415, "Content-Type " + exchange.header("Content-Type") + " is not supported; send "
                    + "application/x-protobuf with proto=" + RemoteWriteDecoder.V1_PROTO + " (1.0) or proto="
                    + RemoteWriteDecoder.V2_PROTO + " (2.0)");
        }
        String encoding = exchange.header("Content-Encoding");
        if (encoding != null && !encoding.trim().equalsIgnoreCase("snappy")) {
            throw new HttpError(415, "Content-Encoding " + encoding + " is not supported for remote write; send snappy");
        }
        byte[] message;
        try {
            message = RemoteWriteDecoder.uncompress(body, maxBytes);
        } catch (RemoteWriteDecoder.SizeException e) {
            throw HttpExchange.tooLarge(maxBytes, e.getMessage().replace(" (gateway.max_request_bytes)", ""));
        } catch (IOException e) {
            throw new HttpError(400, e.getMessage());
        }
        return decoder.decode(message, version);
    }

    @Override
    public Map<String, String> successHeaders(HttpExchange exchange, ParseResult result) {
        if (RemoteWriteDecoder.versionOf(exchange.header("Content-Type")) != Version.V2) {
            return Map.of();
        }
        return Map.of("X-Prometheus-Remote-Write-Samples-Written", Integer.toString(result.count()),
                "X-Prometheus-Remote-Write-Histograms-Written", "0",
                "X-Prometheus-Remote-Write-Exemplars-Written", "0");
    }
}
