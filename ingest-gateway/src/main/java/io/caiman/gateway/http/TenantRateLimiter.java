package io.caiman.gateway.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-tenant sample-rate limits, as token buckets: each tenant may send {@code rate} samples per second on
 * average and {@code burst} at once, per gateway (Grafana Mimir's "local" strategy: with N gateways behind a
 * load balancer a tenant's cluster-wide limit is N × rate). A batch is admitted when its tenant's bucket holds
 * at least {@code min(samples, burst)} tokens; it then takes all of them, so a batch larger than the burst is
 * admitted from a full bucket and paid back over time rather than refused forever.
 */
public final class TenantRateLimiter {

    /** No limit for anyone. */
    public static final TenantRateLimiter UNLIMITED = new TenantRateLimiter(0, 0, Map.of());

    private final double defaultRate;
    private final double defaultBurst;
    private final Map<String, Double> rates;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /**
     * @param rate samples per second per tenant; 0 for no limit
     * @param burst the most samples taken at once; 0 for {@code rate}
     * @param overrides per-tenant rates (0 for no limit), the burst scaled in proportion
     */
    public TenantRateLimiter(double rate, double burst, Map<String, Double> overrides) {
        this.defaultRate = rate;
        this.defaultBurst = burst > 0 ? burst : rate;
        this.rates = Map.copyOf(overrides);
    }

    /** The rate that applies to {@code tenant}, samples per second (0: unlimited). */
    public double rate(String tenant) {
        return rates.getOrDefault(tenant, defaultRate);
    }

    /**
     * Takes {@code samples} from the tenant's bucket.
     *
     * @return 0 when admitted, else how many seconds until the batch would be (at least 1)
     */
    public long tryTake(String tenant, int samples) {
        return tryTake(tenant, samples, System.nanoTime());
    }

    long tryTake(String tenant, int samples, long nowNanos) {
        double rate = rate(tenant);
        if (rate <= 0) {
            return 0;
        }
        double burst = defaultRate > 0 ? defaultBurst * rate / defaultRate : rate;
        Bucket bucket = buckets.computeIfAbsent(tenant, t -> new Bucket(burst, nowNanos));
        return bucket.take(samples, rate, burst, nowNanos);
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(double burst, long now) {
            this.tokens = burst;
            this.last = now;
        }

        synchronized long take(int samples, double rate, double burst, long now) {
            tokens = Math.min(burst, tokens + (now - last) / 1e9 * rate);
            last = now;
            double needed = Math.min(samples, burst);
            if (tokens >= needed) {
                tokens -= samples;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((needed - tokens) / rate));
        }
    }
}
