package io.caiman.cli.replay;

import io.caiman.core.model.Naming;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.remotewrite.RemoteWriteClient;
import io.caiman.core.wire.remotewrite.RemoteWriteEncoder;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.SampleKind;
import java.io.IOException;
import java.net.URI;
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
 *   <li>Batches of up to {@code batchSamples} samples, one request per tenant, sent by {@link RemoteWriteClient}
 *       (a tenant other than {@code default} as {@code X-Scope-OrgID}).
 *   <li>5xx, 429 and connection failures are retried up to {@code maxAttempts}; any other 4xx stops the replay
 *       with the server's message, since resending the same data cannot succeed.
 *   <li>Values only: StatsD increments, gauge deltas and set members are refused (and counted by the replay).
 *       Stale markers keep their bits.
 * </ul>
 */
public final class RemoteWriteSink implements ReplaySink {

    private final URI url;
    private final int batchSamples;
    private final int maxAttempts;
    private final RemoteWriteClient client;
    /** tenant -> series -> its samples in oplog order */
    private final Map<String, Map<SeriesKey, Samples>> pending = new TreeMap<>();
    private final Map<String, MetricType> types = new TreeMap<>();
    private int pendingSamples;

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
        this.batchSamples = batchSamples;
        this.maxAttempts = maxAttempts;
        this.client = new RemoteWriteClient(url, headers, "caiman-replay", sleeper);
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
        client.send(tenant, body, attempts);
    }

    /** Requests sent, retries included. */
    public long requests() {
        return client.requests();
    }

    /** Requests sent again after a 5xx, 429 or connection failure. */
    public long retries() {
        return client.retries();
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
