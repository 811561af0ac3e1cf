package io.caiman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.caiman.cli.CommandLineTest.Run;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.embedded.Ports;
import io.caiman.gateway.GatewayService;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.oplog.SampleKind;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.TopicReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Known samples go through a real gateway into a real broker's oplog at known times; {@code caiman replay}
 * must return exactly them, to every sink, for every kind of range.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplayEndToEndTest {

    static final long BACKFILL_START = Instant.parse("2020-01-01T00:00:00Z").toEpochMilli();

    Path dir;

    String name;
    Path config;
    GatewayService gateway;
    long t1;
    long t2;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void writeKnownSamples(@TempDir Path tmp) throws Exception {
        dir = tmp;
        name = TestConfigs.uniqueName("replay");
        String yaml = TestConfigs.oplog(name, 3, dir.resolve("state").toString());
        config = dir.resolve("caiman.yaml");
        Files.writeString(config, yaml);
        gateway = new GatewayService(ConfigLoader.parse(yaml, "caiman.yaml"));
        gateway.start();
        post("default", lines("replay_a", 10));
        t1 = pause();
        post("default", lines("replay_b", 10));
        post("acme", "replay_b{i=\"acme\"} 99\n");
        t2 = pause();
        post("default", lines("replay_c", 10));
        StringBuilder backfill = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            backfill.append("replay_backfill{i=\"").append(i).append("\"} ").append(i).append(' ')
                    .append(BACKFILL_START + i * 1000L).append('\n');
        }
        post("default", backfill.toString());
    }

    @AfterAll
    void stop() {
        gateway.close();
    }

    /** A gap the broker's clock passes through, with nothing appended during it: its middle. */
    static long pause() throws InterruptedException {
        Thread.sleep(50);
        long t = System.currentTimeMillis();
        Thread.sleep(50);
        return t;
    }

    static String lines(String metric, int n) {
        return IntStream.range(0, n).mapToObj(i -> metric + "{i=\"" + i + "\"} " + i + "\n").collect(Collectors.joining());
    }

    void post(String tenant, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.ports().get(0)
                + "/api/v1/import/prometheus")).header("X-Scope-OrgID", tenant)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
    }

    Run replay(String... args) {
        List<String> all = new ArrayList<>(List.of("replay", "-c", config.toString(), "--progress", "none"));
        all.addAll(Arrays.asList(args));
        return CommandLineTest.run(all.toArray(String[]::new));
    }

    List<ConsumerRecord<byte[], byte[]>> oplog() {
        return TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog");
    }

    /** Text lines without their timestamps, as a set. */
    static Set<String> samples(String text) {
        return text.lines().filter(l -> !l.isBlank()).map(l -> l.substring(0, l.lastIndexOf(' ')))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static Set<String> expected(String metric, int n) {
        return IntStream.range(0, n).mapToObj(i -> metric + "{i=\"" + i + "\"} " + i)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void shouldReplayExactlyTheRecordsAcceptedInATimeRange() {
        Run r = replay("--from", Instant.ofEpochMilli(t1).toString(), "--to", Instant.ofEpochMilli(t2).toString());
        assertThat(r.code()).as(r.err()).isZero();
        Set<String> want = expected("replay_b", 10);
        want.add("replay_b{caiman_tenant=\"acme\",i=\"acme\"} 99");
        assertThat(samples(r.out())).isEqualTo(want);
        assertThat(r.out().lines().count()).isEqualTo(11);
        assertThat(r.err()).contains("done: 11 records to stdout (text)");
    }

    @Test
    void shouldReplayEverythingByDefaultInOplogOrderPerPartition() {
        Run r = replay("--format", "json");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        List<ConsumerRecord<byte[], byte[]>> oplog = oplog();
        assertThat(lines).hasSize(oplog.size()).hasSize(41);
        Map<Integer, List<Long>> offsets = new HashMap<>();
        for (String line : lines) {
            int partition = Integer.parseInt(line.replaceAll(".*\"partition\":(\\d+).*", "$1"));
            long offset = Long.parseLong(line.replaceAll(".*\"offset\":(\\d+).*", "$1"));
            offsets.computeIfAbsent(partition, p -> new ArrayList<>()).add(offset);
        }
        Map<Integer, List<Long>> inOplog = new HashMap<>();
        oplog.forEach(c -> inOplog.computeIfAbsent(c.partition(), p -> new ArrayList<>()).add(c.offset()));
        assertThat(offsets).isEqualTo(inOplog);
        assertThat(lines).anyMatch(l -> l.contains("\"tenant\":\"acme\"") && l.contains("\"series\":\"replay_b{i=\\\"acme\\\"}\"")
                && l.contains("\"value\":99") && l.contains("\"protocol\":\"prometheus-text\""));
    }

    @Test
    void shouldSelectBySeriesSelectorAndTenant() {
        Run r = replay("--match", "replay_b{i=~\"[0-4]\"}", "--match", "{__name__=\"replay_c\",i=\"9\"}", "--tenant", "default");
        assertThat(r.code()).as(r.err()).isZero();
        Set<String> want = expected("replay_b", 5);
        want.add("replay_c{i=\"9\"} 9");
        assertThat(samples(r.out())).isEqualTo(want);
        Run acme = replay("--tenant", "acme");
        assertThat(samples(acme.out())).containsExactly("replay_b{caiman_tenant=\"acme\",i=\"acme\"} 99");
    }

    @Test
    void shouldFindBackfilledSamplesBySampleTime() {
        Run r = replay("--by", "sample-time", "--from", Instant.ofEpochMilli(BACKFILL_START).toString(),
                "--to", Instant.ofEpochMilli(BACKFILL_START + 5000).toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(samples(r.out())).isEqualTo(expected("replay_backfill", 5));
        assertThat(r.out()).contains("replay_backfill{i=\"0\"} 0 " + BACKFILL_START + "\n");
        // by append time the same range holds nothing: these samples were accepted just now
        Run byAppend = replay("--from", Instant.ofEpochMilli(BACKFILL_START).toString(),
                "--to", Instant.ofEpochMilli(BACKFILL_START + 5000).toString());
        assertThat(byAppend.out()).isEmpty();
    }

    @Test
    void shouldReplayAnOffsetRange() {
        List<ConsumerRecord<byte[], byte[]>> partition0 = oplog().stream().filter(c -> c.partition() == 0).toList();
        assertThat(partition0.size()).isGreaterThan(4);
        Run r = replay("--partitions", "0", "--from", "offset:0=1", "--to", "offset:0=4", "--format", "json");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> keys = r.out().lines().map(l -> l.replaceAll(".*\"offset\":(\\d+).*", "$1")).toList();
        assertThat(keys).containsExactly("1", "2", "3");
    }

    @Test
    void shouldCopyRecordsToAnotherTopicWithTheirKeysValuesAndPartitions() {
        String target = name + ".copy";
        Run r = replay("--to-topic", target);
        assertThat(r.code()).as(r.err()).isZero();
        List<ConsumerRecord<byte[], byte[]>> source = oplog();
        List<ConsumerRecord<byte[], byte[]>> copy = TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), target);
        assertThat(copy.stream().map(ReplayEndToEndTest::identity).toList())
                .containsExactlyInAnyOrderElementsOf(source.stream().map(ReplayEndToEndTest::identity).toList());
        // a second copy into the same topic is refused only if it cannot keep partitions; here it may go on
        assertThat(replay("--to-topic", name + ".oplog").err()).contains("is the oplog being replayed");
    }

    static String identity(ConsumerRecord<byte[], byte[]> r) {
        return r.partition() + "|" + new String(r.key(), StandardCharsets.UTF_8) + "|" + Arrays.toString(r.value());
    }

    @Test
    void shouldSendToAnotherGatewayByRemoteWrite() throws Exception {
        String other = TestConfigs.uniqueName("replay-target");
        try (GatewayService target = new GatewayService(ConfigLoader.parse(TestConfigs.oplog(other, 2, "unused"), "t.yaml"))) {
            target.start();
            Run r = replay("--from", Instant.ofEpochMilli(t1).toString(), "--to", Instant.ofEpochMilli(t2).toString(),
                    "--remote-write", "http://127.0.0.1:" + target.ports().get(0) + "/api/v1/write", "--batch-size", "3");
            assertThat(r.code()).as(r.err()).isZero();
            Map<String, Sample> source = decode(oplog().stream()
                    .filter(c -> c.timestamp() >= t1 && c.timestamp() < t2).toList());
            Map<String, Sample> arrived = decode(TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), other + ".oplog"));
            assertThat(arrived.keySet()).isEqualTo(source.keySet()).hasSize(11).contains("acme/replay_b{i=\"acme\"}");
            source.forEach((key, s) -> {
                assertThat(arrived.get(key).getValue()).isEqualTo(s.getValue());
                assertThat(arrived.get(key).getTimestampMs()).isEqualTo(s.getTimestampMs());
            });
        }
    }

    static Map<String, Sample> decode(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().collect(Collectors.toMap(c -> new String(c.key(), StandardCharsets.UTF_8),
                c -> Codecs.SAMPLE.decode(c.value())));
    }

    @Test
    void shouldRetryRemoteWriteOn5xxAndStopOn400WithTheServersMessage() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        List<Integer> answers = new ArrayList<>(List.of(204, 503, 429, 204));   // probe, then two retries
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/v1/write", exchange -> {
            exchange.getRequestBody().readAllBytes();
            calls.incrementAndGet();
            int status;
            synchronized (answers) {
                status = answers.isEmpty() ? 400 : answers.remove(0);
            }
            byte[] body = status == 400 ? "out of order sample".getBytes(StandardCharsets.UTF_8) : new byte[0];
            exchange.sendResponseHeaders(status, status == 204 ? -1 : body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1/write";
            Run ok = replay("--match", "replay_a", "--remote-write", url);
            assertThat(ok.code()).as(ok.err()).isZero();
            assertThat(calls.get()).isEqualTo(4);
            Run refused = replay("--match", "replay_a", "--remote-write", url);
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains("remote_write " + url + " answered 400: out of order sample");
        } finally {
            server.stop(0);
        }
        Run unreachable = replay("--remote-write", "http://127.0.0.1:" + Ports.free() + "/api/v1/write");
        assertThat(unreachable.code()).isEqualTo(1);
        assertThat(unreachable.err()).contains("cannot be reached");
    }

    @Test
    void shouldFailFastWhenTheOplogClusterIsUnreachable() throws Exception {
        Path bad = dir.resolve("unreachable.yaml");
        Files.writeString(bad, TestConfigs.oplog(name, 3, "unused")
                .replace(SharedCluster.kafka().bootstrapServers(), "127.0.0.1:" + Ports.free()));
        long started = System.nanoTime();
        Run r = CommandLineTest.run("replay", "-c", bad.toString(), "--timeout", "PT2S", "--progress", "none");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("cannot reach the oplog's Kafka cluster", name + ".oplog", "within 2 s");
        assertThat((System.nanoTime() - started) / 1e9).isLessThan(20);
    }

    @Test
    void shouldReportUnreadableRecordsByPartitionAndOffsetUnderEachPolicy() throws Exception {
        String other = TestConfigs.uniqueName("replay-bad");
        String yaml = TestConfigs.oplog(other, 2, "unused");
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, yaml);
        var parsed = ConfigLoader.parse(yaml, "bad.yaml");
        var cluster = parsed.requireCluster(other);
        try (Admin admin = KafkaClients.newAdmin(parsed, cluster, "test")) {
            Topics.ensure(admin, TopicSpec.oplog(cluster));
        }
        Origin origin = Origin.newBuilder().setProtocol("statsd").setGateway("test").setReceivedMs(1).build();
        byte[] good = Codecs.SAMPLE.encode(Sample.newBuilder().setValue(5).setTimestampMs(1000).setTenant("default")
                .setMetricType(MetricType.GAUGE).setOrigin(origin).setKind(SampleKind.VALUE).build());
        byte[] increment = Codecs.SAMPLE.encode(Sample.newBuilder().setValue(2).setTimestampMs(1000).setTenant("default")
                .setMetricType(MetricType.COUNTER).setOrigin(origin).setKind(SampleKind.INCREMENT).build());
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.newProducer(parsed, cluster, "test")) {
            producer.send(new ProducerRecord<>(other + ".oplog", 1, "default/ok".getBytes(StandardCharsets.UTF_8), good)).get();
            producer.send(new ProducerRecord<>(other + ".oplog", 1, "default/broken".getBytes(StandardCharsets.UTF_8),
                    new byte[] {(byte) 0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9})).get();
            producer.send(new ProducerRecord<>(other + ".oplog", 1, "default/deploys".getBytes(StandardCharsets.UTF_8),
                    increment)).get();
            producer.send(new ProducerRecord<>(other + ".oplog", 1, "no tenant here".getBytes(StandardCharsets.UTF_8),
                    good)).get();
        }
        Run fail = CommandLineTest.run("replay", "-c", cfg.toString(), "--progress", "none");
        assertThat(fail.code()).isEqualTo(1);
        assertThat(fail.err()).contains(other + ".oplog partition 1 offset 1: unreadable record");
        assertThat(fail.out()).isEqualTo("ok 5 1000\n");

        Run skip = CommandLineTest.run("replay", "-c", cfg.toString(), "--progress", "none", "--on-bad-record", "skip");
        assertThat(skip.code()).as(skip.err()).isZero();
        assertThat(skip.out()).isEqualTo("ok 5 1000\n");
        assertThat(skip.err()).contains("2 unreadable").doesNotContain("skipped " + other)
                .contains("1 StatsD increments, gauge deltas or set members were not written");

        Run log = CommandLineTest.run("replay", "-c", cfg.toString(), "--progress", "none", "--on-bad-record", "log",
                "--format", "json");
        assertThat(log.code()).as(log.err()).isZero();
        assertThat(log.err()).contains("skipped " + other + ".oplog partition 1 offset 1: unreadable record");
        assertThat(log.out().lines()).hasSize(2).anyMatch(l -> l.contains("\"kind\":\"increment\"") && l.contains("\"value\":2"));

        // sinks that copy records check keys and values without decoding them, and find the same bad records
        Run discard = CommandLineTest.run("replay", "-c", cfg.toString(), "--progress", "none", "--discard");
        assertThat(discard.code()).isEqualTo(1);
        assertThat(discard.err()).contains(other + ".oplog partition 1 offset 1: unreadable record");
        Run discardLog = CommandLineTest.run("replay", "-c", cfg.toString(), "--progress", "none", "--discard",
                "--on-bad-record", "log");
        assertThat(discardLog.code()).as(discardLog.err()).isZero();
        assertThat(discardLog.err()).contains("skipped " + other + ".oplog partition 1 offset 1: unreadable record",
                "skipped " + other + ".oplog partition 1 offset 3: unreadable record", "series key has no tenant");
    }

    /** Runs the command in this JVM, stopping it (as Ctrl-C would) after {@code stopAfter} records, or never when 0. */
    Run replayStoppingAfter(int stopAfter, String... args) throws Exception {
        ReplayCommand command = new ReplayCommand();
        List<String> all = new ArrayList<>(List.of("-c", config.toString()));
        all.addAll(Arrays.asList(args));
        new picocli.CommandLine(command).parseArgs(all.toArray(String[]::new));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        command.out = new java.io.PrintStream(out, true, StandardCharsets.UTF_8);
        command.err = new java.io.PrintStream(err, true, StandardCharsets.UTF_8);
        AtomicInteger polls = new AtomicInteger();
        int code = command.run(() -> stopAfter > 0 && polls.incrementAndGet() > stopAfter);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldResumeAnInterruptedReplayWhereItStoppedWithoutDuplicates() throws Exception {
        Path whole = dir.resolve("whole.jsonl");
        assertThat(replayStoppingAfter(0, "--format", "json", "--output", whole.toString(), "--progress", "none").code())
                .isZero();
        String expected = Files.readString(whole);
        assertThat(expected.lines()).hasSize(41);

        Path out = dir.resolve("resumed.jsonl");
        Path checkpoint = dir.resolve("replay.ckpt");
        String[] args = {"--format", "json", "--output", out.toString(), "--checkpoint", checkpoint.toString(),
            "--progress", "none"};
        Run first = replayStoppingAfter(15, args);
        assertThat(first.code()).as(first.err()).isEqualTo(130);
        assertThat(first.err()).contains("stopped before the end", "holds where it stopped");
        long partial = Files.readString(out).lines().count();
        assertThat(partial).isBetween(1L, 40L);
        assertThat(expected).contains(Files.readString(out).lines().findFirst().orElseThrow());

        // a second interruption, then a crash's leftovers: bytes written after the last checkpoint
        assertThat(replayStoppingAfter(10, args).code()).isEqualTo(130);
        Files.writeString(out, "{\"partial record written after the checkpoint", java.nio.file.StandardOpenOption.APPEND);

        Run rest = replayStoppingAfter(0, args);
        assertThat(rest.code()).as(rest.err()).isZero();
        assertThat(rest.err()).contains("resumed from " + checkpoint);
        assertThat(Files.readString(out)).isEqualTo(expected);

        // done is done: running it again writes nothing more
        assertThat(replayStoppingAfter(0, args).code()).isZero();
        assertThat(Files.readString(out)).isEqualTo(expected);
    }

    @Test
    void shouldRefuseACheckpointOfAnotherReplayWithoutTouchingTheOutput() throws Exception {
        Path out = dir.resolve("other.txt");
        Path checkpoint = dir.resolve("other.ckpt");
        assertThat(replayStoppingAfter(5, "--output", out.toString(), "--checkpoint", checkpoint.toString(),
                "--progress", "none").code()).isEqualTo(130);
        String before = Files.readString(out);
        Run r = replay("--output", out.toString(), "--checkpoint", checkpoint.toString(), "--match", "replay_a");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("checkpoint " + checkpoint + " belongs to another replay");
        assertThat(Files.readString(out)).isEqualTo(before);
    }

    @Test
    void shouldShowProgressAsPlainLinesWhenNotOnATerminal() {
        Run r = CommandLineTest.run("replay", "-c", config.toString(), "--discard", "--progress", "plain",
                "--progress-interval", "0s");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).containsPattern("replay: 100\\.0% · 3/3 partitions done · 41 records · [0-9.]+ KiB")
                .contains("done: 41 records to nowhere (--discard)");
    }

    @Test
    void shouldPaceTheReplayToTheGivenRate() {
        long started = System.nanoTime();
        Run r = replay("--discard", "--rate", "20", "--match", "replay_a");
        assertThat(r.code()).as(r.err()).isZero();
        // 10 samples at 20 per second take at least 0.45 s
        assertThat((System.nanoTime() - started) / 1e9).isGreaterThan(0.45);
    }

    /** Milliseconds as the seconds Prometheus' API writes: 1795452784.503. */
    /** A time as Prometheus' HTTP API writes it: seconds, and 3 digits of milliseconds unless they are 000. */
    static String prometheusTime(long ms) {
        return ms % 1000 == 0 ? Long.toString(ms / 1000) : String.format(java.util.Locale.ROOT, "%d.%03d", ms / 1000, ms % 1000);
    }

    static String seconds(long ms) {
        return java.math.BigDecimal.valueOf(ms).movePointLeft(3).stripTrailingZeros().toPlainString();
    }

    /** A real Prometheus (Debian's package; .ci/run installs it) with its remote-write receiver as the sink. */
    @Test
    @org.junit.jupiter.api.Tag("integration")
    void shouldMakeWhatIsReplayedQueryableInARealPrometheus() throws Exception {
        io.caiman.testing.RealPrometheus prometheus = io.caiman.testing.RealPrometheus.start(dir.resolve("prometheus"));
        org.junit.jupiter.api.Assumptions.assumeTrue(prometheus != null,
                "no prometheus binary on PATH (apt-get install prometheus; .ci/run does)");
        try (prometheus) {
            String base = prometheus.base();
            Run r = replay("--from", Instant.ofEpochMilli(t1).toString(), "--to", Instant.ofEpochMilli(t2).toString(),
                    "--tenant", "default", "--remote-write", base + "/api/v1/write");
            assertThat(r.code()).as(r.err()).isZero();
            // every replayed sample, at its own timestamp, and nothing else
            Map<String, Sample> source = decode(oplog().stream()
                    .filter(c -> c.timestamp() >= t1 && c.timestamp() < t2 && !new String(c.key(), StandardCharsets.UTF_8)
                            .startsWith("acme/")).toList());
            assertThat(source).hasSize(10);
            long end = source.values().stream().mapToLong(Sample::getTimestampMs).max().orElseThrow();
            String query = base + "/api/v1/query_range?query=" + java.net.URLEncoder.encode("{__name__=~\"replay_.*\"}",
                    StandardCharsets.UTF_8) + "&start=" + seconds(t1 - 60_000) + "&end=" + seconds(end + 1000) + "&step=1";
            String body = http.send(HttpRequest.newBuilder(URI.create(query)).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(body).contains("\"status\":\"success\"");
            for (int i = 0; i < 10; i++) {
                assertThat(body).contains("\"__name__\":\"replay_b\",\"i\":\"" + i + "\"");
            }
            assertThat(body).doesNotContain("replay_a", "replay_c", "acme");
            // each series' sample at its exact timestamp, with its value
            Sample b3 = source.get("default/replay_b{i=\"3\"}");
            String at = base + "/api/v1/query?query=" + java.net.URLEncoder.encode("replay_b{i=\"3\"}", StandardCharsets.UTF_8)
                    + "&time=" + seconds(b3.getTimestampMs());
            assertThat(http.send(HttpRequest.newBuilder(URI.create(at)).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .contains("[" + prometheusTime(b3.getTimestampMs()) + ",\"3\"]");
        }
    }
}
