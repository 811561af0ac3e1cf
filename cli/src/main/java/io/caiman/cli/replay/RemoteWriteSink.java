package io.caiman.cli.replay;

import io.caiman.core.model.Naming;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.remotewrite.RemoteWriteEncoder;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.SampleKind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * Sends records to a Prometheus remote-write 1.0 endpoint (Prometheus with
 * {@code --web.enable-remote-write-receiver}, Mimir, VictoriaMetrics, Thanos, a Caiman gateway).
 *
 * <ul>
 *   <li>Batches of up to {@code batchSamples} samples, one request per tenant; a tenant other than
 *       {@code default} is sent as {@code X-Scope-OrgID}, as Mimir and Cortex expect.
 *   <li>5xx, 429 and connection failures are retried with exponential backoff (100 ms doubling to 10 s,
 *       {@code Retry-After} honoured) up to {@code maxAttempts}; any other 4xx stops the replay with the
 *       server's message, since resending the same data cannot succeed.
 *   <li>Values only: StatsD increments, gauge deltas and set members are refused (and counted by the replay).
 *       Stale markers keep their bits.
 * </ul>
 */
public final class RemoteWriteSink implements ReplaySink {

    private final URI url;
    private final Map<String, String> headers;
    private final int batchSamples;
    private final int maxAttempts;
    private final LongConsumer sleeper;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** tenant -> series -> its samples in oplog order */
    private final Map<String, Map<SeriesKey, Samples>> pending = new TreeMap<>();
    private final Map<String, MetricType> types = new TreeMap<>();
    private int pendingSamples;
    private long requests;
    private long retries;

    private static final class Samples {
        double[] values = new double[4];
        long[] timestamps = new long[4];
        int n;

        void add(double v, long ts) {
            if (n == values.length) {
                values = java.util.Arrays.copyOf(values, n * 2);
                timestamps = java.util.Arrays.copyOf(timestamps, n * 2);
            }
            values[n] = v;
            timestamps[n++] = ts;
        }
    }

    /**
     * @param headers extra request headers (e.g. {@code Authorization})
     * @param sleeper how to wait between attempts (tests pass one that does not sleep)
     */
    public RemoteWriteSink(URI url, Map<String, String> headers, int batchSamples, int maxAttempts, LongConsumer sleeper) {
        this.url = url;
        this.headers = Map.copyOf(headers);
        this.batchSamples = batchSamples;
        this.maxAttempts = maxAttempts;
        this.sleeper = sleeper;
    }

    @Override
    public void check() throws IOException {
        // an empty write request: every receiver accepts it, and it proves the URL, the path and the credentials
        send(Naming.DEFAULT_TENANT, RemoteWriteEncoder.body(List.of(), Map.of()), 1);
    }

    @Override
    public boolean write(ReplayRecord r) throws IOException {
        if (r.sample().getKind() != SampleKind.VALUE) {
            return false;
        }
        pending.computeIfAbsent(r.key().tenant(), t -> new LinkedHashMap<>())
                .computeIfAbsent(r.key(), k -> new Samples()).add(r.sample().getValue(), r.sample().getTimestampMs());
        if (r.sample().getMetricType() != MetricType.UNKNOWN) {
            types.putIfAbsent(r.key().name(), r.sample().getMetricType());
        }
        if (++pendingSamples >= batchSamples) {
            flush();
        }
        return true;
    }

    @Override
    public void flush() throws IOException {
        for (Map.Entry<String, Map<SeriesKey, Samples>> tenant : pending.entrySet()) {
            List<RemoteWriteEncoder.Series> series = new ArrayList<>(tenant.getValue().size());
            Map<String, MetricType> metadata = new TreeMap<>();
            tenant.getValue().forEach((key, s) -> {
                series.add(new RemoteWriteEncoder.Series(key.name(), key.labels(),
                        java.util.Arrays.copyOf(s.values, s.n), java.util.Arrays.copyOf(s.timestamps, s.n)));
                MetricType type = types.get(key.name());
                if (type != null) {
                    metadata.put(key.name(), type);
                }
            });
            send(tenant.getKey(), RemoteWriteEncoder.body(series, metadata), maxAttempts);
        }
        pending.clear();
        pendingSamples = 0;
    }

    private void send(String tenant, byte[] body, int attempts) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-protobuf")
                .header("Content-Encoding", "snappy")
                .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                .header("User-Agent", "caiman-replay")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        if (!tenant.equals(Naming.DEFAULT_TENANT)) {
            request.header("X-Scope-OrgID", tenant);
        }
        long backoff = 100;
        for (int attempt = 1; ; attempt++) {
            String failure;
            long wait = backoff;
            try {
                requests++;
                HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return;
                }
                failure = "answered " + status + ": " + response.body().strip();
                if (status != 429 && status / 100 != 5) {
                    throw new Refused("remote_write " + url + " " + failure + " (not retried: the same request "
                            + "cannot succeed)");
                }
                wait = response.headers().firstValue("Retry-After").map(RemoteWriteSink::seconds)
                        .map(s -> Math.max(s * 1000, 100)).orElse(backoff);
            } catch (ConnectException e) {
                failure = "cannot be reached: " + e.getMessage();
                if (attempts == 1) {
                    throw new IOException("remote_write " + url + " cannot be reached (connection refused or timed out"
                            + (e.getMessage() != null ? ": " + e.getMessage() : "") + ")", e);
                }
            } catch (java.net.http.HttpTimeoutException e) {
                failure = "did not answer within 30 s";
            } catch (IOException e) {
                if (e instanceof Refused) {
                    throw e;
                }
                failure = "failed: " + describeCause(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while sending to " + url);
            }
            if (attempt >= attempts) {
                throw new IOException("remote_write " + url + " " + failure + " (gave up after " + attempt
                        + (attempt == 1 ? " attempt)" : " attempts)"));
            }
            retries++;
            sleeper.accept(Math.min(wait, 10_000));
            backoff = Math.min(backoff * 2, 10_000);
        }
    }

    /** A 4xx other than 429: the server refused the data, and sending it again cannot help. */
    private static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private static String describeCause(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static Long seconds(String retryAfter) {
        try {
            return Long.parseLong(retryAfter.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Requests sent, retries included. */
    public long requests() {
        return requests;
    }

    /** Requests sent again after a 5xx, 429 or connection failure. */
    public long retries() {
        return retries;
    }

    @Override
    public String describe() {
        return "remote_write " + url;
    }

    @Override
    public void close() {
        // Java 17's HttpClient has no close(); its threads end with it
    }
}
