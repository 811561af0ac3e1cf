package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Writes past {@code gateway.max_concurrent_requests} wait at most {@code max_request_wait} and are then refused
 * with a retryable 503, while {@code /metrics} stays served; the request holding the slot still completes.
 */
@Tag("integration")
class LoadSheddingTest {

    static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start("shed", "", "gateway:\n  max_concurrent_requests: 1\n  max_request_wait: 300ms\n"
                + "  max_request_bytes: 1KiB\n");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void shouldRefuseWritesBeyondTheLimitWith503AndServeTheOneHoldingTheSlot() throws Exception {
        byte[] body = "shed_probe 1\n".getBytes(StandardCharsets.UTF_8);
        try (Socket slow = new Socket("127.0.0.1", gateway.port())) {
            OutputStream out = slow.getOutputStream();
            // the headers and half the body: the gateway holds the one slot, reading
            postHeaders(out, body.length);
            out.write(body, 0, 5);
            out.flush();
            Thread.sleep(300);

            long t0 = System.nanoTime();
            HttpResponse<String> refused = TestGateway.HTTP.send(HttpRequest.newBuilder(
                    URI.create(gateway.base + "/api/v1/import/prometheus")).timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString("shed_other 1\n")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(refused.body()).contains("gateway.max_concurrent_requests");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));

            HttpResponse<String> metrics = TestGateway.HTTP.send(HttpRequest.newBuilder(URI.create(gateway.base + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).containsPattern("caiman_http_requests_shed_total\\{server=\"gateway\"} 1.0");

            out.write(body, 5, body.length - 5);
            out.flush();
            InputStream in = slow.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(status).isEqualTo("HTTP/1.1 204");
        }
        assertThat(gateway.oplog()).containsKey("default/shed_probe").doesNotContainKey("default/shed_other");
    }

    @Test
    void shouldRefuseABodyThatTricklesInAndFreeItsSlotForOtherWrites() throws Exception {
        byte[] body = "trickle_probe 1\n".getBytes(StandardCharsets.UTF_8);
        try (Socket slow = new Socket("127.0.0.1", gateway.port())) {
            slow.setSoTimeout(15_000);
            OutputStream out = slow.getOutputStream();
            long t0 = System.nanoTime();
            postHeaders(out, body.length);
            out.flush();
            // a byte a second: never idle for long, and far under gateway.min_body_rate (4 KiB a second)
            Thread writer = trickle(out, java.util.Arrays.copyOf(body, body.length - 1));
            Thread.sleep(500);
            assertThat(post("trickle_other 1\n").statusCode()).as("the slot is held").isEqualTo(503);

            String answer = new String(slow.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(answer).startsWith("HTTP/1.1 503").contains("Retry-After: ").contains("Connection: close")
                    .contains("the request body arrived too slowly").contains("gateway.min_body_rate");
            assertThat(took).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(9));
            writer.interrupt();
        }
        assertThat(post("trickle_after 1\n").statusCode()).as("the slot is free again").isEqualTo(204);
        assertThat(gateway.oplog()).containsKey("default/trickle_after").doesNotContainKey("default/trickle_probe");
    }

    @Test
    void shouldTakeABodyThatPausesWithinTheGrace() throws Exception {
        byte[] body = "pause_probe 1\n".getBytes(StandardCharsets.UTF_8);
        try (Socket sender = new Socket("127.0.0.1", gateway.port())) {
            sender.setSoTimeout(15_000);
            OutputStream out = sender.getOutputStream();
            postHeaders(out, body.length);
            out.write(body, 0, 4);
            out.flush();
            Thread.sleep(3000); // a sender's pause: under the 5 s before the pace is checked
            out.write(body, 4, body.length - 4);
            out.flush();
            String status = new String(sender.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(status).isEqualTo("HTTP/1.1 204");
        }
        assertThat(gateway.oplog()).containsKey("default/pause_probe");
    }

    @Test
    void shouldStopThrowingAwayARefusedBodyThatTricklesIn() throws Exception {
        try (Socket slow = new Socket("127.0.0.1", gateway.port())) {
            slow.setSoTimeout(15_000);
            OutputStream out = slow.getOutputStream();
            long t0 = System.nanoTime();
            // over max_request_bytes: refused at once, and the body read and thrown away so the answer arrives
            out.write(("POST /api/v1/import/prometheus HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\nx")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread writer = trickle(out, "x".repeat(20).getBytes(StandardCharsets.US_ASCII));
            String answer = new String(slow.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 413").contains("Connection: close");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(9));
            writer.interrupt();
        }
        assertThat(post("discard_after 1\n").statusCode()).isEqualTo(204);
    }

    /** The request line and headers of a text import whose body of {@code length} bytes follows. */
    private static void postHeaders(OutputStream out, int length) throws java.io.IOException {
        out.write(("POST /api/v1/import/prometheus HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    }

    /** Writes {@code bytes} to {@code out} a byte a second, on a daemon thread that stops when the socket closes. */
    private static Thread trickle(OutputStream out, byte[] bytes) {
        Thread writer = new Thread(() -> {
            try {
                for (byte b : bytes) {
                    Thread.sleep(1000);
                    out.write(b);
                    out.flush();
                }
            } catch (Exception closed) { // the gateway closed the connection: what the tests wait for
            }
        });
        writer.setDaemon(true);
        writer.start();
        return writer;
    }

    private static HttpResponse<String> post(String text) throws Exception {
        return TestGateway.HTTP.send(HttpRequest.newBuilder(URI.create(gateway.base + "/api/v1/import/prometheus"))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(text)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
