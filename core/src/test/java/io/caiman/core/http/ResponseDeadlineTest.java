package io.caiman.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A server that sends its headers and part of its body, then stalls: the deadline ends the call anyway. */
class ResponseDeadlineTest {

    private ServerSocket server;
    private Thread serving;
    private final CountDownLatch closedByClient = new CountDownLatch(1);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeEach
    void stallingServer() throws Exception {
        server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        serving = new Thread(() -> {
            try (Socket s = server.accept()) {
                s.getInputStream().read(new byte[8192]);
                OutputStream out = s.getOutputStream();
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nthe first part".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.setSoTimeout(20_000);
                if (s.getInputStream().read() < 0) { // the client gave up and closed the connection
                    closedByClient.countDown();
                }
            } catch (Exception e) {
                closedByClient.countDown(); // a reset: closed as well
            }
        });
        serving.setDaemon(true);
        serving.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private HttpRequest request() {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getLocalPort() + "/"))
                .timeout(Duration.ofMillis(700)).build();
    }

    @Test
    void shouldEndAWaitForAStalledBodyAtTheRequestsTimeoutAndCloseTheConnection() throws Exception {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ResponseDeadline.send(client, request(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class).hasMessageContaining("within 700 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(600), Duration.ofSeconds(5));
        assertThat(closedByClient.await(10, TimeUnit.SECONDS)).as("the connection is closed").isTrue();
    }

    @Test
    void shouldFailAnAsyncCallWithATimeoutWhereTheJdkAloneWaitsOn() throws Exception {
        var plain = client.sendAsync(request(), HttpResponse.BodyHandlers.ofString());
        assertThatThrownBy(() -> plain.get(2, TimeUnit.SECONDS)).as("the JDK's timeout stops at the headers")
                .isInstanceOf(TimeoutException.class);
        plain.cancel(true);
        stop();
        stallingServer();
        var bounded = ResponseDeadline.within(client.sendAsync(request(), HttpResponse.BodyHandlers.ofString()),
                Duration.ofMillis(700));
        assertThatThrownBy(() -> bounded.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TimeoutException.class);
    }
}
