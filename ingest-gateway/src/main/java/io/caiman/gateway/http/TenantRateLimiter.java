package io.caiman.gateway.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-tenant sample-rate limits, as token buckets: each tenant may send {@code rate} samples per second on
 * average and {@code burst} at once, per gateway (Grafana Mimir's "local" strategy: with N gateways behind a
 * load balancer a tenant's cluster-wide limit is N × rate). A batch is admitted when its tenant's bucket holds
 * at least {@code min(samples, burst)} tokens; it then takes all of them, so a batch larger than the burst is
 * admitted from a full bucket and paid back over time rather than refused forever.
 *
 * <p>The tenant comes from a request header, so the buckets must not grow with every name a sender makes up: past
 * {@link #SWEEP_ABOVE} buckets, those that have refilled to their burst are dropped (at most once a second), which
 * changes nothing, since a tenant without a bucket gets a full one.
 */
public final class TenantRateLimiter {

    /** No limit for anyone. */
    public static final TenantRateLimiter UNLIMITED = new TenantRateLimiter(0, 0, Map.of());
    /** Buckets kept before full ones are dropped. */
    static final int SWEEP_ABOVE = 10_000;

    private final double defaultRate;
    private final double defaultBurst;
    private final Map<String, Double> rates;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong lastSweep = new java.util.concurrent.atomic.AtomicLong();

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
        double burst = burst(rate);
        Bucket bucket = buckets.get(tenant);
        if (bucket == null) {
            if (buckets.size() >= SWEEP_ABOVE) {
                sweep(nowNanos);
            }
            bucket = buckets.computeIfAbsent(tenant, t -> new Bucket(burst, nowNanos));
        }
        return bucket.take(samples, rate, burst, nowNanos);
    }

    private double burst(double rate) {
        return defaultRate > 0 ? defaultBurst * rate / defaultRate : rate;
    }

    /** Drops the buckets that are full again, at most once a second (a sweep reads every bucket). */
    private void sweep(long nowNanos) {
        long last = lastSweep.get();
        if (last != 0 && nowNanos - last < 1_000_000_000L || !lastSweep.compareAndSet(last, nowNanos)) {
            return;
        }
        buckets.entrySet().removeIf(e -> {
            double rate = rate(e.getKey());
            return e.getValue().full(rate, burst(rate), nowNanos);
        });
    }

    /** How many tenants have a bucket. */
    int size() {
        return buckets.size();
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(double burst, long now) {
            this.tokens = burst;
            this.last = now;
        }

        /** Whether the bucket has refilled to {@code burst} by {@code now}: then it is the same as a new one. */
        synchronized boolean full(double rate, double burst, long now) {
            return refilled(rate, now) >= burst;
        }

        /** The tokens at {@code now}, before the burst caps them. */
        private double refilled(double rate, long now) {
            return tokens + (now - last) / 1e9 * rate;
        }

        synchronized long take(int samples, double rate, double burst, long now) {
            tokens = Math.min(burst, refilled(rate, now));
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
