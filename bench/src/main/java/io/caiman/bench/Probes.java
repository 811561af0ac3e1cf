package io.caiman.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Asking a Caiman process on loopback how it is, for the benches that start one. */
final class Probes {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Probes() {}

    /** A GET of {@code path} on 127.0.0.1:{@code port}, with a 5 s timeout. */
    static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Whether {@code /-/ready} answers 200 (false while the process does not answer at all). */
    static boolean ready(int port) {
        try {
            return get(port, "/-/ready").statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Waits until {@code /-/ready} answers 200.
     *
     * @throws IllegalStateException if {@code alive} turns false or {@code timeout} passes first
     */
    static void awaitReady(int port, BooleanSupplier alive, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready(port)) {
            if (!alive.getAsBoolean() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the process on port " + port + " was not ready within " + timeout.toSeconds()
                        + " s");
            }
            Thread.sleep(100);
        }
    }
}
