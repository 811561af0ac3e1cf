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
        gateway = TestGateway.start("shed", "", "gateway:\n  max_concurrent_requests: 1\n  max_request_wait: 300ms\n");
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
            out.write(("POST /api/v1/import/prometheus HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
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
}
