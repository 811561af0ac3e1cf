package io.caiman.gateway.http;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes the gateway holds for requests in flight (bodies being read, records waiting for Kafka),
 * bounded so a slow or absent Kafka makes new requests fail fast with 503 instead of growing the heap.
 */
public final class InflightBudget {

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    public InflightBudget(long limit, MeterRegistry registry) {
        this.limit = limit;
        Gauge.builder("caiman_gateway_inflight_bytes", used, AtomicLong::get)
                .description("Bytes held for requests in flight (gateway.max_inflight_bytes bounds it)")
                .register(registry);
        Gauge.builder("caiman_gateway_inflight_bytes_limit", () -> limit)
                .description("gateway.max_inflight_bytes").register(registry);
    }

    public long limit() {
        return limit;
    }

    public long used() {
        return used.get();
    }

    /** Takes {@code bytes} if they fit; never blocks. */
    public boolean tryAcquire(long bytes) {
        while (true) {
            long current = used.get();
            if (current + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(current, current + bytes)) {
                return true;
            }
        }
    }

    public void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** One request's share, released once whatever path the request ends on. */
    final class Reservation {
        private long held;

        Reservation(long held) {
            this.held = held;
        }

        /** Grows the share to {@code bytes} if needed; false if that does not fit. */
        synchronized boolean growTo(long bytes) {
            if (bytes <= held) {
                return true;
            }
            if (!tryAcquire(bytes - held)) {
                return false;
            }
            held = bytes;
            return true;
        }

        synchronized void release() {
            InflightBudget.this.release(held);
            held = 0;
        }
    }

    /** A reservation of {@code bytes}, or {@code null} if the budget cannot hold it now. */
    Reservation reserve(long bytes) {
        return tryAcquire(bytes) ? new Reservation(bytes) : null;
    }
}
