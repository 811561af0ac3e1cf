package io.caiman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.testing.Timing;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What a newcomer does: start `caiman dev`, run the printed curl line, see the sample on the processor. */
@Tag("integration")
class DevEndToEndTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void shouldServeThePrintedSampleOnTheProcessorThroughARealBroker() throws Exception {
        ByteArrayOutputStream banner = new ByteArrayOutputStream();
        try (DevCommand.DevCluster dev = DevCommand.DevCluster.start(null, List.of(),
                new PrintStream(banner, true, StandardCharsets.UTF_8))) {
            String out = banner.toString(StandardCharsets.UTF_8);
            Matcher send = Pattern.compile("(curl -sS --data-binary '([^']*)' (http://\\S+))").matcher(out);
            Matcher see = Pattern.compile("curl -sS (http://\\S+/metrics) \\| grep (\\w+)").matcher(out);
            assertThat(send.find()).as(out).isTrue();
            assertThat(send.group(3)).isEqualTo(dev.gatewayUrl + "/api/v1/import/prometheus");
            assertThat(see.find()).as(out).isTrue();

            if (curlAvailable()) {
                // exactly the printed line, as a person would paste it
                Process curl = new ProcessBuilder("bash", "-c", send.group(1) + " -w '%{http_code}'").start();
                String status = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(curl.waitFor()).isZero();
                assertThat(status).isEqualTo("204");
            } else {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(send.group(3)))
                        .POST(HttpRequest.BodyPublishers.ofString(send.group(2))).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(204);
            }

            String expected = send.group(2); // caiman_hello{greeting="world"} 42
            Awaitility.await().atMost(Timing.seconds(30)).pollInterval(java.time.Duration.ofMillis(100)).untilAsserted(() -> {
                String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(see.group(1))).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains(expected + "\n").contains(see.group(2));
            });

            // the printed replay line finds the sample in the oplog
            Matcher replay = Pattern.compile("\\./caiman replay -c (\\S+) --from 5m").matcher(out);
            assertThat(replay.find()).as(out).isTrue();
            CommandLineTest.Run replayed = CommandLineTest.run("replay", "-c", replay.group(1), "--from", "5m");
            assertThat(replayed.code()).as(replayed.err()).isZero();
            assertThat(replayed.out()).contains(expected + " ");

            // every listener is on: the printed Graphite line (bash's /dev/tcp) and the raw listener
            Matcher graphite = Pattern.compile("(echo \"servers\\.web-1\\.load .*> /dev/tcp/127\\.0\\.0\\.1/(\\d+))").matcher(out);
            Matcher raw = Pattern.compile("raw +127\\.0\\.0\\.1:(\\d+)").matcher(out);
            assertThat(graphite.find()).as(out).isTrue();
            assertThat(raw.find()).as(out).isTrue();
            assertThat(new ProcessBuilder("bash", "-c", graphite.group(1)).start().waitFor()).isZero();
            // the printed StatsD line (bash's /dev/udp)
            Matcher statsd = Pattern.compile("(echo 'deploys\\.done:1\\|c\\|#team:infra' > /dev/udp/127\\.0\\.0\\.1/\\d+)").matcher(out);
            assertThat(statsd.find()).as(out).isTrue();
            assertThat(new ProcessBuilder("bash", "-c", statsd.group(1)).start().waitFor()).isZero();
            // the printed OTLP line
            Matcher otlp = Pattern.compile("(curl -sS -H 'Content-Type: application/json' --data-binary '([^']*)' (http://\\S+/v1/metrics))")
                    .matcher(out);
            assertThat(otlp.find()).as(out).isTrue();
            if (curlAvailable()) {
                Process curl = new ProcessBuilder("bash", "-c", otlp.group(1) + " -o /dev/null -w '%{http_code}'").start();
                assertThat(new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("200");
                assertThat(curl.waitFor()).isZero();
            } else {
                assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(otlp.group(3))).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(otlp.group(2))).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            }
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", Integer.parseInt(raw.group(1)))) {
                socket.getOutputStream().write("raw_influx_probe,via=raw value=7\n".getBytes(StandardCharsets.UTF_8));
            }
            Awaitility.await().atMost(Timing.seconds(30)).pollInterval(java.time.Duration.ofMillis(100)).untilAsserted(() -> {
                String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(see.group(1))).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("servers_web_1_load 0.5").contains("raw_influx_probe_value{via=\"raw\"} 7")
                        .contains("hello_otlp{job=\"demo\"} 1").contains("deploys_done{team=\"infra\"} 1\n");
            });

            // the crawler: the printed peers line, and its crawls of the gateway reaching the processor
            Matcher peers = Pattern.compile("curl -sS (http://\\S+/api/v1/cluster/peers)").matcher(out);
            assertThat(peers.find()).as(out).isTrue();
            assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(peers.group(1))).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).contains("\"node\":\"dev\"", "\"state\":\"running\"");
            String gatewayInstance = URI.create(dev.gatewayUrl).getAuthority();
            Awaitility.await().atMost(Timing.seconds(40)).pollInterval(java.time.Duration.ofMillis(250)).untilAsserted(() -> {
                String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(see.group(1))).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("up{instance=\"" + gatewayInstance + "\",job=\"caiman-gateway\"} 1\n");
            });

            // the printed trigger line: one crawl, done, whichever times it runs
            Matcher trigger = Pattern.compile("\\./caiman (crawl trigger .*)").matcher(out);
            assertThat(trigger.find()).as(out).isTrue();
            String[] args = trigger.group(1).split(" ");
            for (int i = 0; i < 2; i++) {
                CommandLineTest.Run run = CommandLineTest.run(args);
                assertThat(run.code()).as(run.err()).isZero();
                assertThat(run.out()).contains(" succeeded by ", ": up 1, ");
            }
            assertThat(dev.crawler.registry().get("caiman_crawler_triggered_crawls").tag("state", "succeeded").counter()
                    .count()).isEqualTo(1);
        }
    }

    static boolean curlAvailable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, "curl"))) {
                return true;
            }
        }
        return false;
    }
}
