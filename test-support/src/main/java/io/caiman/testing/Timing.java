package io.caiman.testing;

import java.time.Duration;

/**
 * Test timeouts, scaled by the system property {@code caiman.test.timing} (default 1) for slow machines:
 * {@code ./mvnw verify -Dcaiman.test.timing=3}.
 */
public final class Timing {

    private static final double FACTOR = Double.parseDouble(System.getProperty("caiman.test.timing", "1"));

    private Timing() {}

    public static Duration scaled(Duration base) {
        return Duration.ofMillis((long) (base.toMillis() * FACTOR));
    }

    public static Duration seconds(long seconds) {
        return scaled(Duration.ofSeconds(seconds));
    }
}
