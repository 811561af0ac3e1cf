package io.caiman.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Many crawl targets on one loopback port, each answering like node_exporter: {@code GET /target/<n>} returns
 * the Prometheus text format with {@code series} series. {@code /fail/<n>} answers 500. Counts requests per path,
 * and can hold the next request until released, so a test can kill a crawler while its request is under way.
 */
public final class MetricsStub implements AutoCloseable {

    private final HttpServer server;
    private final byte[] body;
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final AtomicReference<CountDownLatch> hold = new AtomicReference<>();
    private final CountDownLatch held = new CountDownLatch(1);

    public MetricsStub(int series) {
        this.body = body(series);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "metrics-stub");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    private static byte[] body(int series) {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n");
        sb.append("# TYPE node_cpu_seconds_total counter\n");
        for (int i = 0; i < series; i++) {
            sb.append("node_cpu_seconds_total{cpu=\"").append(i / 8).append("\",mode=\"mode").append(i % 8)
                    .append("\",instance=\"stub\"} ").append(1000 + i).append(".25\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        CountDownLatch latch = hold.getAndSet(null);
        if (latch != null) {
            held.countDown();
            try {
                latch.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (exchange) {
            if (path.startsWith("/fail/")) {
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (IOException e) {
            // the crawler went away (killed mid-request): nothing to answer
        }
    }

    /** The URL of target {@code n}. */
    public String url(int n) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/target/" + n;
    }

    /** The URL of a target that always answers 500. */
    public String failingUrl(int n) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/fail/" + n;
    }

    /** Requests served so far to {@code path}'s target. */
    public int requests(String url) {
        AtomicInteger n = requests.get(java.net.URI.create(url).getPath());
        return n == null ? 0 : n.get();
    }

    /** Holds the next request until the returned latch is counted down. */
    public CountDownLatch holdNext() {
        CountDownLatch latch = new CountDownLatch(1);
        hold.set(latch);
        return latch;
    }

    /** Waits until a request is being held. */
    public boolean awaitHeld(long seconds) throws InterruptedException {
        return held.await(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        CountDownLatch latch = hold.getAndSet(null);
        if (latch != null) {
            latch.countDown();
        }
        server.stop(0);
    }
}
