package io.caiman.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A real Prometheus (Debian's package; {@code .ci/run} installs it) with its remote-write receiver, on loopback,
 * for tests that push to it. {@link #start} returns {@code null} when there is no {@code prometheus} on the PATH, so
 * the test can skip saying how to install it.
 */
public final class RealPrometheus implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Process process;
    private final String base;

    private RealPrometheus(Process process, String base) {
        this.process = process;
        this.base = base;
    }

    /** Starts one with its data under {@code dir} and waits until it is ready; {@code null} without the binary. */
    public static RealPrometheus start(Path dir) throws IOException {
        Path binary = Executables.onPath("prometheus");
        if (binary == null) {
            return null;
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("prometheus.yml"), "global:\n  scrape_interval: 1m\n");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Process process = new ProcessBuilder(binary.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-remote-write-receiver")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        RealPrometheus prometheus = new RealPrometheus(process, "http://127.0.0.1:" + port);
        try {
            Awaitility.await().atMost(Timing.seconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> prometheus.get("/-/ready").statusCode() == 200);
        } catch (RuntimeException e) {
            prometheus.close();
            throw e;
        }
        return prometheus;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String base() {
        return base;
    }

    /** The remote-write receiver's URL. */
    public String writeUrl() {
        return base + "/api/v1/write";
    }

    public HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
