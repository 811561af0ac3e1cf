package io.caiman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.coordinator.FaultPoints;
import io.caiman.coordinator.crawl.CrawlAudit;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.embedded.EmbeddedZooKeeper;
import io.caiman.embedded.Ports;
import io.caiman.testing.MetricsStub;
import io.caiman.testing.MetricsText;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import io.caiman.testing.TopicReader;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Guarantee 4 under {@code kill -9}: crawler A, a separate process, is stopped at one step of a crawl and killed
 * there while crawler B, another process, waits for the lease. Against a real three-node ZooKeeper ensemble and a
 * real broker, the oplog must then hold every (target, slot) at most once, and every slot without a crawl between
 * the first and the last must be one B reported missed.
 */
@Tag("integration")
class CrawlerFaultTest {

    private static final int TARGETS = 10;
    private static final long INTERVAL_MS = 8_000;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static EmbeddedZooKeeper ensemble;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEnsemble() {
        ensemble = EmbeddedZooKeeper.start(3, null, 0);
    }

    @AfterAll
    static void stopEnsemble() {
        ensemble.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {FaultPoints.LEASE_ACQUIRED, FaultPoints.BEFORE_REQUEST, "during-request",
        FaultPoints.BEFORE_COMMIT, FaultPoints.AFTER_COMMIT})
    void shouldCrawlEachSlotAtMostOnceAndReportTheRestWhenACrawlerIsKilledAt(String step) throws Exception {
        String name = TestConfigs.uniqueName("fault");
        try (MetricsStub stub = new MetricsStub(3)) {
            List<String> lines = clusters(name);
            lines.add("aggregate:");
            for (int i = 0; i < TARGETS; i++) {
                lines.add("  - {kind: prometheus, url: '" + stub.url(i) + "', labels: {target: t" + i + "}, cluster: "
                        + name + "-locks, interval: " + INTERVAL_MS + "ms, timeout: 2s}");
            }
            Path config = dir.resolve("caiman.yaml");
            Files.writeString(config, String.join("\n", lines) + "\n");

            if (step.equals(FaultPoints.AFTER_COMMIT)) {
                awaitSlotStart(); // so that b takes over, if it can, in the slot a committed in
            }
            CountDownLatch held = step.equals("during-request") ? stub.holdNext() : null;
            Process a = crawler(config, "a", Ports.free(), held != null ? null : step);
            Process b = null;
            try {
                if (held != null) {
                    assertThat(stub.awaitHeld(Timing.seconds(60).toSeconds())).as("a's first request arrives").isTrue();
                } else {
                    awaitLine(dir.resolve("a.out"), "CAIMAN PAUSED AT " + step, a);
                }
                int portB = Ports.free();
                b = crawler(config, "b", portB, null);
                a.destroyForcibly(); // SIGKILL, while b starts
                assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
                if (held != null) {
                    held.countDown();
                }
                // b takes the lease once a's session expires, and crawls about two slots of every target
                Awaitility.await().atMost(Timing.seconds(90)).pollInterval(java.time.Duration.ofMillis(250)).ignoreExceptions()
                        .untilAsserted(() -> assertThat(metric(portB, "caiman_crawler_crawls_total\\{[^}]*outcome=\"succeeded\"[^}]*\\}"))
                                .isGreaterThanOrEqualTo(2 * TARGETS));
                double missed = metric(portB, "caiman_crawler_slots_missed_total(?:\\{[^}]*\\})?");
                double skipped = metric(portB, "caiman_crawler_slots_skipped_total(?:\\{[^}]*\\})?");
                b.destroy(); // SIGTERM: b leaves gracefully
                assertThat(b.waitFor(60, TimeUnit.SECONDS)).as("b stops on SIGTERM").isTrue();
                assertThat(b.exitValue()).as(Files.readString(dir.resolve("b.err"))).isIn(0, 143);

                CaimanConfig cfg = ConfigLoader.load(config, java.util.Map.of(), List.of());
                int gaps = 0;
                long firstSlot = Long.MAX_VALUE;
                for (CrawlAudit.TargetCrawls t : CrawlAudit.audit(cfg, cfg.requireCluster(name + "-locks"))) {
                    assertThat(t.duplicates()).as(step + ": slots crawled twice of " + t.target().id()).isEmpty();
                    assertThat(t.slots()).as(step + ": slots of " + t.target().id()).hasSizeGreaterThanOrEqualTo(2);
                    gaps += t.gaps().size();
                    firstSlot = Math.min(firstSlot, t.slots().firstKey());
                }
                assertThat((double) gaps).as(step + ": slots without a crawl are the slots b reported missed")
                        .isEqualTo(missed);
                if (step.equals(FaultPoints.AFTER_COMMIT)) {
                    // a committed crawls of its first slot. If b took over while that slot lasted, it found them done
                    // in the ledger and skipped them; if the slot had passed (a slow start), there was nothing to skip.
                    long planned = Instant.parse(lastMatch(dir.resolve("b.err"), "lease group 0: planned at (\\S+);"))
                            .toEpochMilli() / INTERVAL_MS;
                    if (planned == firstSlot) {
                        assertThat(skipped).as("slots b skipped as done in slot " + planned).isPositive();
                    } else {
                        System.out.printf("CrawlerFaultTest: b took over in slot %d, after a's slot %d; no skip to check%n",
                                planned, firstSlot);
                    }
                }
            } finally {
                a.destroyForcibly();
                if (b != null) {
                    b.destroyForcibly();
                }
            }
        }
    }

    @Test
    void shouldDoATriggeredCrawlOnceWhenTheCrawlerThatAcceptedItIsKilledWithItsTransactionOpen() throws Exception {
        String name = TestConfigs.uniqueName("fault-trigger");
        try (MetricsStub stub = new MetricsStub(3)) {
            Path config = dir.resolve("trigger.yaml");
            Files.writeString(config, String.join("\n", clusters(name)) + "\n");
            int portA = Ports.free();
            int portB = Ports.free();
            Process a = crawler(config, "a", portA, FaultPoints.TRIGGERED_BEFORE_COMMIT);
            Process b = null;
            try {
                String body = "{\"idempotency_key\": \"k-kill\", \"url\": \"" + stub.url(7) + "\"}";
                // accepted (committed to the ledger) by a; a crawls it and stops with the result's transaction open
                HttpResponse<String> accepted = Awaitility.await().atMost(Timing.seconds(60))
                        .pollInterval(java.time.Duration.ofMillis(250)).ignoreExceptions()
                        .until(() -> post(portA, body), r -> r.statusCode() == 202);
                String id = accepted.body().replaceAll("(?s).*\"id\":\"([0-9a-f]{32})\".*", "$1");
                awaitLine(dir.resolve("a.out"), "CAIMAN PAUSED AT " + FaultPoints.TRIGGERED_BEFORE_COMMIT, a);
                b = crawler(config, "b", portB, null);
                a.destroyForcibly(); // SIGKILL
                assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();

                // b fences a (aborting the open transaction), finds the crawl promised in the ledger, and does it
                Awaitility.await().atMost(Timing.seconds(90)).pollInterval(java.time.Duration.ofMillis(250)).ignoreExceptions()
                        .untilAsserted(() -> assertThat(HTTP.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + portB + "/api/v1/crawls/" + id)).build(),
                                HttpResponse.BodyHandlers.ofString()).body()).contains("\"state\":\"succeeded\"",
                                "\"completed_by\":\"127.0.0.1:" + portB + "\""));
                HttpResponse<String> again = post(portB, body);
                assertThat(again.statusCode()).isEqualTo(202);
                assertThat(again.body()).contains("\"id\":\"" + id + "\"", "\"state\":\"succeeded\"");
                b.destroy();
                assertThat(b.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                a.destroyForcibly();
                if (b != null) {
                    b.destroyForcibly();
                }
            }
            assertThat(stub.requests(stub.url(7))).as("asked by a, then by b").isEqualTo(2);
            String instance = URI.create(stub.url(7)).getAuthority();
            long ups = TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog").stream()
                    .map(r -> io.caiman.core.model.SeriesKey.parse(r.key()))
                    .filter(k -> k.name().equals("up") && k.labels().get("instance").equals(instance)).count();
            assertThat(ups).as("the crawl in the oplog once").isEqualTo(1);
        }
    }

    /**
     * The config's lines up to {@code aggregate}: oplog {@code name} on the shared broker, sharedlock
     * {@code name-locks} on the ensemble, a 1 s session and one lease group.
     */
    private static List<String> clusters(String name) {
        return new ArrayList<>(List.of(
                "clusters:",
                "  - {name: " + name + ", type: oplog, servers: [" + SharedCluster.kafka().bootstrapServers()
                        + "], partitions: 3, replica_factor: 1}",
                "  - {name: " + name + "-locks, type: sharedlock, servers: [" + ensemble.connectString() + "], oplog: "
                        + name + "}",
                "zookeeper: {session_timeout: 1s, connection_timeout: 5s}",
                "crawler: {lease_groups: 1, commit_interval: 200ms}"));
    }

    private static HttpResponse<String> post(int port, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/crawls"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code caiman crawler} in a JVM of its own, stdout and stderr to {@code <node>.out} and {@code <node>.err}. */
    private Process crawler(Path config, String node, int port, String pauseAt) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        if (pauseAt != null) {
            command.add("-Dcaiman.crawler.pause_at=" + pauseAt);
        }
        command.addAll(List.of(Main.class.getName(), "crawler", "-c", config.toString(),
                "--set", "crawler.node=" + node, "--set", "crawler.listen=127.0.0.1:" + port));
        File out = dir.resolve(node + ".out").toFile();
        File err = dir.resolve(node + ".err").toFile();
        return new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
    }

    private static void awaitLine(Path file, String line, Process process) throws Exception {
        long deadline = System.nanoTime() + Timing.seconds(60).toNanos();
        while (!Files.readString(file).contains(line)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("crawler did not print '" + line + "' (alive: " + process.isAlive() + "):\n"
                        + Files.readString(file) + Files.readString(file.resolveSibling("a.err")));
            }
            Thread.sleep(50);
        }
    }

    /** Sleeps until just after the next interval slot begins. */
    private static void awaitSlotStart() throws InterruptedException {
        Thread.sleep(INTERVAL_MS - System.currentTimeMillis() % INTERVAL_MS + 50);
    }

    /** The first group of the last line of {@code file} that matches {@code regex}. */
    private static String lastMatch(Path file, String regex) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(Files.readString(file));
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        assertThat(found).as("a line matching '" + regex + "' in " + file).isNotNull();
        return found;
    }

    /** The sum of a series' samples on a crawler's /metrics (0 if none yet). */
    private static double metric(int port, String series) throws Exception {
        return MetricsText.sum(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body(), series);
    }
}
