package io.caiman.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TenantRateLimiterTest {

    static final long SECOND = 1_000_000_000L;

    @Test
    void shouldAdmitTheRateAndTheBurstPerTenantAndSayHowLongToWait() {
        TenantRateLimiter limiter = new TenantRateLimiter(100, 200, Map.of("big", 1000.0, "free", 0.0));
        assertThat(limiter.tryTake("a", 150, 0)).isZero();
        assertThat(limiter.tryTake("a", 50, 0)).isZero();        // the burst of 200 is spent
        assertThat(limiter.tryTake("a", 100, 0)).isEqualTo(1);   // 100 tokens come back in 1 s
        assertThat(limiter.tryTake("a", 100, SECOND)).isZero();
        assertThat(limiter.tryTake("b", 200, 0)).isZero();       // tenants have their own buckets
        assertThat(limiter.tryTake("big", 2000, 0)).isZero();    // burst scales with the override: 2000
        assertThat(limiter.tryTake("big", 1, 0)).isEqualTo(1);
        for (int i = 0; i < 100; i++) {
            assertThat(limiter.tryTake("free", 1_000_000, 0)).isZero();
        }
    }

    @Test
    void shouldAdmitABatchLargerThanTheBurstFromAFullBucketAndMakeItPayBack() {
        TenantRateLimiter limiter = new TenantRateLimiter(10, 0, Map.of());
        assertThat(limiter.tryTake("t", 50, 0)).isZero();                // full bucket (10): admitted, now -40
        assertThat(limiter.tryTake("t", 1, 2 * SECOND)).isEqualTo(3);   // -20 after 2 s: 3 s more to reach 1
        assertThat(limiter.tryTake("t", 1, 5 * SECOND)).isZero();
        assertThat(TenantRateLimiter.UNLIMITED.tryTake("t", Integer.MAX_VALUE)).isZero();
    }

    @Test
    void shouldKeepNoMoreBucketsThanTenantsStillPayingBackWhateverNamesSendersMakeUp() {
        TenantRateLimiter limiter = new TenantRateLimiter(10, 20, Map.of());
        long now = 0;
        // a sender making up a tenant a millisecond: a bucket refills (2 s) long before the sweep's bound is reached
        // again, so the kept buckets stay near the bound, not near the 100,000 names
        for (int i = 0; i < 100_000; i++) {
            assertThat(limiter.tryTake("made-up-" + i, 1, now)).isZero();
            now += SECOND / 1000;
        }
        assertThat(limiter.size()).isLessThanOrEqualTo(TenantRateLimiter.SWEEP_ABOVE + 2_000);
        // a tenant still paying back keeps its bucket through the sweeps: its debt is not forgiven
        assertThat(limiter.tryTake("heavy", 1000, now)).isZero();   // a full bucket admits it: -980
        for (int i = 0; i < 20_000; i++) {
            limiter.tryTake("more-" + i, 1, now);
            now += SECOND / 1000;
        }
        assertThat(limiter.size()).isLessThanOrEqualTo(TenantRateLimiter.SWEEP_ABOVE + 2_000);
        assertThat(limiter.tryTake("heavy", 1, now)).as("20 s later -780: 79 s until 1 token").isEqualTo(79);
    }
}
