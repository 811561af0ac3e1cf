package io.caiman.bench;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.embedded.Dirs;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.gateway.GatewayService;
import io.caiman.processor.ProcessorService;
import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.codec.Codecs;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The latency from a sample's 2xx at the gateway to a closed window that counts it being on {@code
 * <cluster>.aggregates} (read_committed: the window stage's transaction committed). One real broker, a gateway and a
 * processor with one rule, all in this JVM. A sender posts Prometheus text with the current time as each sample's
 * timestamp, so the window a sample belongs to is known; each window's aggregates must count exactly the samples
 * sent in it, and each sample's latency is its window's arrival minus its own 2xx.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.caiman.bench.LatencyBench</pre>
 */
@Command(name = "caiman-latency-bench", mixinStandardHelpOptions = true,
        description = "From the gateway's 2xx to the aggregate on the aggregates topic, per sample, through a real broker.")
public final class LatencyBench implements Callable<Integer> {

    @Option(names = "--interval", defaultValue = "10s", description = "The rule's interval (default: ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--grace", defaultValue = "0s", description = "The rule's grace (default: ${DEFAULT-VALUE}; the rules' own default is 5s).")
    String grace;

    @Option(names = "--duration", defaultValue = "70", description = "Seconds of sending (default: ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--series", defaultValue = "200", description = "Series per request (default: ${DEFAULT-VALUE}).")
    int seriesPerRequest;

    @Option(names = "--every", defaultValue = "100", description = "Milliseconds between requests (default: ${DEFAULT-VALUE}).")
    int everyMs;

    @Option(names = "--jobs", defaultValue = "4", description = "Output groups (values of job) (default: ${DEFAULT-VALUE}).")
    int jobs;

    public static void main(String[] args) {
        System.exit(new CommandLine(new LatencyBench()).execute(args));
    }

    /** One request: its samples' timestamp (which names their window) and when its 2xx came. */
    record Sent(long timestampMs, long ackNanos) {}

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("caiman-latency-bench-");
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).dataDir(dir.resolve("kafka")).build().start()) {
            String yaml = String.join("\n",
                    "clusters:",
                    "  - {name: lat, type: oplog, servers: [" + kafka.bootstrapServers() + "], partitions: 3, replica_factor: 1}",
                    "entrypoints:",
                    "  - {protocol: http, listen: '127.0.0.1:0', cluster: lat}",
                    "processor: {listen: '127.0.0.1:0', state_dir: '" + dir.resolve("state") + "'}",
                    "stream_aggregation:",
                    "  - match: lat_metric",
                    "    interval: " + interval,
                    "    by: [job]",
                    "    outputs: [count_samples]",
                    "    grace: " + grace,
                    "");
            CaimanConfig config = ConfigLoader.parse(yaml, "bench.yaml");
            ClusterConfig cluster = config.requireCluster("lat");
            long intervalMs = io.caiman.core.config.SettingType.parseDuration(interval).toMillis();
            try (GatewayService gateway = new GatewayService(config); ProcessorService processor = new ProcessorService(config)) {
                gateway.start();
                processor.start();
                Probes.awaitReady(processor.httpPort(), () -> processor.failure() == null, Duration.ofSeconds(60));
                int gatewayPort = gateway.ports().get(0);
                Map<Long, Long> arrivals = new ConcurrentHashMap<>(); // window start -> nanoTime when every job's aggregate arrived
                Map<Long, Long> counted = new ConcurrentHashMap<>();  // window start -> samples the aggregates counted
                Map<Long, Integer> jobsSeen = new ConcurrentHashMap<>();
                AtomicBoolean stop = new AtomicBoolean();
                Thread reader = new Thread(() -> readAggregates(config, cluster, stop, arrivals, counted, jobsSeen),
                        "aggregates-reader");
                reader.start();
                out.printf(Locale.ROOT, "sending %d series every %d ms for %d s; rule interval %s, grace %s, %d groups%n",
                        seriesPerRequest, everyMs, durationSeconds, interval, grace, jobs);
                List<Sent> sent = send(gatewayPort, out);
                long sendEndMs = System.currentTimeMillis();
                // the windows that ended well before the sending stopped are closed by later samples' stream time
                long lastWindow = Math.floorDiv(sendEndMs - intervalMs - 2000, intervalMs) * intervalMs - intervalMs;
                long firstWindow = Math.floorDiv(sent.get(0).timestampMs(), intervalMs) * intervalMs + intervalMs;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline && !arrivals.containsKey(lastWindow)) {
                    Thread.sleep(100);
                }
                stop.set(true);
                reader.join();
                report(out, sent, arrivals, counted, firstWindow, lastWindow, intervalMs);
            }
        } finally {
            Dirs.deleteQuietly(dir);
        }
        return 0;
    }

    private List<Sent> send(int port, PrintStream out) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        List<Sent> sent = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(durationSeconds).toNanos();
        long next = System.nanoTime();
        long lastReport = System.nanoTime();
        StringBuilder body = new StringBuilder();
        while (System.nanoTime() < end) {
            long now = System.currentTimeMillis();
            body.setLength(0);
            for (int i = 0; i < seriesPerRequest; i++) {
                body.append("lat_metric{job=\"j").append(i % jobs).append("\",i=\"").append(i).append("\"} 1 ")
                        .append(now).append('\n');
            }
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/import/prometheus")).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("the gateway answered " + r.statusCode() + ": " + r.body());
            }
            sent.add(new Sent(now, System.nanoTime()));
            if (System.nanoTime() - lastReport > Duration.ofSeconds(10).toNanos()) {
                out.printf(Locale.ROOT, "  %,d requests sent%n", sent.size());
                lastReport = System.nanoTime();
            }
            next += Duration.ofMillis(everyMs).toNanos();
            long wait = next - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        return sent;
    }

    private void readAggregates(CaimanConfig config, ClusterConfig cluster, AtomicBoolean stop, Map<Long, Long> arrivals,
            Map<Long, Long> counted, Map<Long, Integer> jobsSeen) {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.newReader(config, cluster, "latency-bench")) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(cluster.aggregatesTopic(), Duration.ofSeconds(30))) {
                tps.add(new TopicPartition(p.topic(), p.partition()));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    long at = System.nanoTime();
                    Aggregate a = Codecs.AGGREGATE.decode(r.value());
                    if (!a.getSeries().contains("count_samples")) {
                        continue;
                    }
                    long w = a.getWindowStartMs();
                    counted.merge(w, (long) a.getValue(), Long::sum);
                    if (jobsSeen.merge(w, 1, Integer::sum) == jobs) {
                        arrivals.put(w, at); // the window is complete once every group's aggregate is there
                    }
                }
            }
        }
    }

    private void report(PrintStream out, List<Sent> sent, Map<Long, Long> arrivals, Map<Long, Long> counted, long first,
            long last, long intervalMs) {
        Map<Long, Long> expected = new TreeMap<>();
        List<Long> latencies = new ArrayList<>();
        Map<Long, Long> lastAck = new HashMap<>();
        for (Sent s : sent) {
            long w = Math.floorDiv(s.timestampMs(), intervalMs) * intervalMs;
            if (w < first || w > last) {
                continue;
            }
            expected.merge(w, (long) seriesPerRequest, Long::sum);
            lastAck.merge(w, s.ackNanos(), Math::max);
            Long arrival = arrivals.get(w);
            if (arrival != null) {
                for (int i = 0; i < seriesPerRequest; i++) {
                    latencies.add(arrival - s.ackNanos());
                }
            }
        }
        int missing = 0;
        int wrong = 0;
        for (var e : expected.entrySet()) {
            if (!arrivals.containsKey(e.getKey())) {
                missing++;
            } else if (!e.getValue().equals(counted.get(e.getKey()))) {
                wrong++;
                out.printf(Locale.ROOT, "  window %d: sent %d samples, the aggregates counted %d%n", e.getKey(), e.getValue(),
                        counted.get(e.getKey()));
            }
        }
        long[] ms = latencies.stream().mapToLong(n -> n / 1_000_000).sorted().toArray();
        if (ms.length == 0) {
            out.println("no window closed in time: no latency to report");
            return;
        }
        List<Long> afterLast = new ArrayList<>();
        lastAck.forEach((w, ack) -> {
            if (arrivals.containsKey(w)) {
                afterLast.add((arrivals.get(w) - ack) / 1_000_000);
            }
        });
        long[] tail = afterLast.stream().mapToLong(Long::longValue).sorted().toArray();
        out.printf(Locale.ROOT, "%d windows of %d ms measured (%d missing, %d with a wrong count); %,d samples%n",
                expected.size(), intervalMs, missing, wrong, ms.length);
        out.printf(Locale.ROOT, "2xx to aggregate, per sample: p50 %d ms, p99 %d ms, max %d ms (target p99 < interval + 1 s = %d ms)%n",
                percentile(ms, 0.5), percentile(ms, 0.99), ms[ms.length - 1],
                intervalMs + 1000);
        out.printf(Locale.ROOT, "a window's last 2xx to its aggregate: median %d ms, max %d ms (grace %s)%n",
                percentile(tail, 0.5), tail[tail.length - 1], grace);
        if (missing > 0 || wrong > 0) {
            throw new IllegalStateException(missing + " windows missing, " + wrong + " counted wrong");
        }
    }

    static long percentile(long[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))];
    }
}
