package io.caiman.bench;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.prometheus.PrometheusTextParser;
import io.caiman.core.wire.remotewrite.RemoteWriteDecoder;
import io.caiman.embedded.Dirs;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.gateway.GatewayService;
import io.caiman.gateway.oplog.OplogWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The end-to-end load tool: drives a gateway on a real local broker with node_exporter-like Prometheus text
 * and measures it beside, in the same run, a plain Kafka producer sending the same records (the baseline) and
 * VictoriaMetrics importing the same bodies (the peer). The broker and the gateway run in JVMs of their own
 * (the gateway's with a fixed heap), so their CPU time is what the two cost together; the last phase sends ten
 * times the sustainable request rate, open loop, and watches the gateway's heap.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.caiman.bench.LoadTool --seconds 20 [--format remote-write]
 * </pre>
 */
@Command(name = "caiman-load", mixinStandardHelpOptions = true,
        description = "Load the gateway on a real local broker beside a raw-producer baseline and VictoriaMetrics.")
public final class LoadTool implements Callable<Integer> {

    @Option(names = "--seconds", description = "Measured seconds per phase (default: ${DEFAULT-VALUE}).")
    int seconds = 20;

    @Option(names = "--warmup", description = "Unmeasured seconds before each phase (default: ${DEFAULT-VALUE}). The "
            + "gateway's JVM is still compiling its hot paths after 10 s on two cores.")
    int warmup = 30;

    @Option(names = "--format", description = "What every phase sends: text (Prometheus text) or remote-write (1.0, "
            + "snappy; the gateway and VictoriaMetrics at /api/v1/write) (default: ${DEFAULT-VALUE}).")
    String format = "text";

    @Option(names = "--series", description = "Distinct series (default: ${DEFAULT-VALUE}).")
    int series = 10_000;

    @Option(names = "--per-request", description = "Samples per request (default: ${DEFAULT-VALUE}).")
    int perRequest = 1_000;

    @Option(names = "--clients", description = "Concurrent senders in the closed-loop phases (default: ${DEFAULT-VALUE}).")
    int clients = 4;

    @Option(names = "--server-heap", description = "-Xmx of the gateway JVM (default: ${DEFAULT-VALUE}).")
    String serverHeap = "512m";

    @Option(names = "--server-jvm-option", description = "An extra option for the gateway JVM, e.g. "
            + "-XX:StartFlightRecording=filename=server.jfr to profile it; repeatable.")
    List<String> serverJvmOptions = new ArrayList<>();

    @Option(names = "--gateway-set", description = "A setting of the gateway's config, key=value as --set takes it "
            + "(e.g. gateway.max_concurrent_requests=16); repeatable.")
    List<String> gatewaySettings = new ArrayList<>();

    @Option(names = "--overload-factor", description = "Times the sustained request rate sent in the overload phase "
            + "(default: ${DEFAULT-VALUE}; 0 skips it).")
    int overloadFactor = 10;

    @Option(names = "--overload-seconds", description = "Length of the overload phase (default: ${DEFAULT-VALUE}).")
    int overloadSeconds = 60;

    @Option(names = "--samples-per-record", description = "Also run the raw producer with the same records packed this "
            + "many to a Kafka record (per partition, the same bytes), to show what one record per sample costs the "
            + "producer and the broker (default: ${DEFAULT-VALUE}; 1 skips it). No reader takes such records: a "
            + "measurement for the oplog's design, not a format Caiman writes.")
    int samplesPerRecord = 1;

    @Option(names = "--victoria-metrics", description = "The VictoriaMetrics binary; the peer phase is skipped when "
            + "it is missing (default: ${DEFAULT-VALUE}).")
    Path victoria = Path.of("/usr/bin/victoria-metrics");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) {
        io.caiman.core.lifecycle.CommonPool.atLeastTwoThreads(); // sendAsync: no thread per request on 2 cores
        if (args.length > 1 && args[0].equals("server")) {
            Server.main(args);
            return;
        }
        System.exit(new CommandLine(new LoadTool()).execute(args));
    }

    /** The path a format is sent to, on the gateway and on VictoriaMetrics. */
    private String path() {
        return remoteWrite() ? "/api/v1/write" : "/api/v1/import/prometheus";
    }

    /** The headers a body of the format is sent with. */
    private String[] headers() {
        return remoteWrite() ? new String[] {"Content-Type", "application/x-protobuf", "Content-Encoding", "snappy",
            "X-Prometheus-Remote-Write-Version", "0.1.0"} : new String[] {"Content-Type", "text/plain; version=0.0.4"};
    }

    private boolean remoteWrite() {
        return format.equals("remote-write");
    }

    @Override
    public Integer call() throws Exception {
        if (!format.equals("text") && !remoteWrite()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--format must be text or remote-write, not "
                    + format);
        }
        List<byte[]> bodies = bodies();
        System.out.printf(Locale.ROOT, "payload: %d series of node_exporter-like %s, %d samples per request, %d bodies, "
                + "%.1f KiB each%n", series, remoteWrite() ? "remote write (snappy)" : "text", perRequest, bodies.size(),
                bodies.get(0).length / 1024.0);
        Path tmp = Files.createTempDirectory("caiman-load-");
        Process broker = startServer(tmp, "broker", "1g", List.of());
        Process server = null;
        try (BufferedReader brokerOut = reader(broker)) {
            String bootstrap = awaitReady(brokerOut).split(" ")[1];
            List<String> gatewayArgs = new ArrayList<>(List.of(bootstrap));
            gatewayArgs.addAll(gatewaySettings);
            server = startServer(tmp, "gateway", serverHeap, gatewayArgs);
            BufferedReader out = reader(server);
            String gatewayUrl = "http://127.0.0.1:" + awaitReady(out).split(" ")[1];
            System.out.println("broker " + bootstrap + " (pid " + broker.pid() + "); gateway " + gatewayUrl + " (pid "
                    + server.pid() + ", -Xmx" + serverHeap + ")");
            long[] pids = {broker.pid(), server.pid()};

            Result baseline = baseline(bootstrap, Server.CLUSTER, bodies, pids, 1);
            Result packed = samplesPerRecord > 1 ? baseline(bootstrap, Server.CLUSTER, bodies, pids, samplesPerRecord) : null;
            Result gateway = closedLoop("gateway", bodies, gatewayUrl + path(), pids, 204, () -> stages(gatewayUrl));
            Result victoriaResult = victoria.toFile().canExecute() ? victoria(bodies, tmp) : null;
            Overload overload = overloadFactor > 0 ? overload(bodies, gatewayUrl, gateway, server.pid()) : null;

            System.out.println();
            System.out.println("| phase | samples/s | p50 ms | p99 ms | CPU s of the broker and gateway (or VictoriaMetrics) "
                    + "| of which the broker | samples per CPU-second | CPU s of the load tool |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
            for (Result r : Arrays.asList(baseline, packed, gateway, victoriaResult)) {
                if (r != null) {
                    System.out.println(r.row());
                }
            }
            System.out.printf(Locale.ROOT, "%ngateway / raw producer: %.2f (target >= 0.85)%n", gateway.rate() / baseline.rate());
            System.out.printf(Locale.ROOT, "CPU per sample: the gateway %.2f µs, the broker %.2f µs (%.2f µs with the raw "
                    + "producer)%n", 1e6 * (gateway.cpuSeconds() - gateway.brokerCpuSeconds()) / gateway.samples(),
                    1e6 * gateway.brokerCpuSeconds() / gateway.samples(),
                    1e6 * baseline.brokerCpuSeconds() / baseline.samples());
            System.out.printf(Locale.ROOT, "the gateway's request threads, per sample (caiman_gateway_request_stage_seconds, "
                    + "wall time): decode %.2f µs, records %.2f µs, send to the producer %.2f µs%n",
                    1e6 * gateway.probed().getOrDefault("decode", Double.NaN) / gateway.samples(),
                    1e6 * gateway.probed().getOrDefault("records", Double.NaN) / gateway.samples(),
                    1e6 * gateway.probed().getOrDefault("send", Double.NaN) / gateway.samples());
            if (packed != null) {
                System.out.printf(Locale.ROOT, "CPU per sample, one sample a record against %d: the producer (the load "
                        + "tool) %.2f µs against %.2f µs, the broker %.2f µs against %.2f µs%n", samplesPerRecord,
                        1e6 * baseline.senderCpuSeconds() / baseline.samples(),
                        1e6 * packed.senderCpuSeconds() / packed.samples(),
                        1e6 * baseline.brokerCpuSeconds() / baseline.samples(),
                        1e6 * packed.brokerCpuSeconds() / packed.samples());
            }
            if (victoriaResult != null) {
                System.out.printf(Locale.ROOT, "gateway+broker samples per CPU-second / VictoriaMetrics': %.2f (target >= 1)%n",
                        gateway.perCpuSecond() / victoriaResult.perCpuSecond());
            }
            if (overload != null) {
                System.out.println(overload.report());
            }
        } finally {
            stop(server);
            stop(broker);
            Dirs.deleteQuietly(tmp);
        }
        return 0;
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    /** A server stops when its stdin closes. */
    private static void stop(Process p) throws InterruptedException, IOException {
        if (p == null) {
            return;
        }
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    // ---- payloads ----

    /**
     * The series in bodies of {@code perRequest} samples, each body with fresh values: text without timestamps, remote
     * write with one a round.
     */
    List<byte[]> bodies() {
        List<io.caiman.core.wire.remotewrite.RemoteWriteEncoder.Series> all = Payloads.series(series, 42);
        Random random = new Random(7);
        List<byte[]> out = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (int from = 0; from < all.size(); from += perRequest) {
                List<io.caiman.core.wire.remotewrite.RemoteWriteEncoder.Series> batch = new ArrayList<>();
                StringBuilder sb = new StringBuilder(perRequest * 120);
                for (var s : all.subList(from, Math.min(all.size(), from + perRequest))) {
                    int value = random.nextInt(1_000_000);
                    sb.append(s.name()).append(s.labels()).append(' ').append(value).append('\n');
                    batch.add(new io.caiman.core.wire.remotewrite.RemoteWriteEncoder.Series(s.name(), s.labels(),
                            new double[] {value}, new long[] {1_700_000_000_000L + 15_000L * round}));
                }
                out.add(remoteWrite() ? io.caiman.core.wire.remotewrite.RemoteWriteEncoder.body(batch, Map.of())
                        : sb.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    // ---- phases ----

    /**
     * @param brokerCpuSeconds of {@code cpuSeconds}, the broker's: its JVM's, when the phase counts two
     * @param senderCpuSeconds the load tool's own CPU time: for the raw producer, what the producer costs
     * @param probed what the phase's probe counted over the measured window (empty without one)
     */
    record Result(String name, double rate, double p50, double p99, double cpuSeconds, double brokerCpuSeconds,
            double senderCpuSeconds, long samples, long failed, Map<String, Double> probed) {
        double perCpuSecond() {
            return cpuSeconds > 0 ? samples / cpuSeconds : Double.NaN;
        }

        String row() {
            return String.format(Locale.ROOT, "| %s | %,.0f | %.1f | %.1f | %.1f | %s | %,.0f | %.1f |%s", name, rate, p50,
                    p99, cpuSeconds, Double.isNaN(brokerCpuSeconds) ? "—" : String.format(Locale.ROOT, "%.1f",
                            brokerCpuSeconds), perCpuSecond(), senderCpuSeconds,
                    failed > 0 ? " (" + failed + " failed requests)" : "");
        }
    }

    private static final java.util.regex.Pattern STAGE_SUM = java.util.regex.Pattern.compile(
            "^caiman_gateway_request_stage_seconds_sum\\{[^}]*stage=\"(\\w+)\"[^}]*\\} (\\S+)$",
            java.util.regex.Pattern.MULTILINE);

    /** The gateway's seconds in each stage of its requests, summed over protocols, from its /metrics. */
    static Map<String, Double> stages(String gatewayUrl) {
        try {
            String m = HTTP.send(HttpRequest.newBuilder(URI.create(gatewayUrl + "/metrics")).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            Map<String, Double> sums = new java.util.TreeMap<>();
            java.util.regex.Matcher matcher = STAGE_SUM.matcher(m);
            while (matcher.find()) {
                sums.merge(matcher.group(1), Double.parseDouble(matcher.group(2)), Double::sum);
            }
            return sums;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One unit of work: returns the samples accepted, or -1 when refused. */
    @FunctionalInterface
    interface Work {
        long run(int i) throws Exception;
    }

    /** Runs {@code work} from {@code clients} threads: warm-up, then the measured window, with progress lines. */
    Result measure(String name, long[] cpuPids, Work work) throws Exception {
        return measure(name, cpuPids, work, Map::of);
    }

    /**
     * As {@link #measure(String, long[], Work)}, reading {@code probe} (counters by name) as the measured window starts
     * and ends; the result holds what each counted in between.
     */
    Result measure(String name, long[] cpuPids, Work work, java.util.function.Supplier<Map<String, Double>> probe)
            throws Exception {
        AtomicLong phase = new AtomicLong(0); // 0 warm-up, 1 measuring, 2 done
        LongAdder samples = new LongAdder();
        LongAdder failed = new LongAdder();
        List<long[]> latencies = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicLong counter = new AtomicLong();
        for (int c = 0; c < clients; c++) {
            long[] lat = new long[1 << 20];
            int[] n = {0};
            latencies.add(lat);
            Thread t = new Thread(() -> {
                while (phase.get() < 2) {
                    long t0 = System.nanoTime();
                    long got;
                    try {
                        got = work.run((int) counter.getAndIncrement());
                    } catch (Exception e) {
                        got = -1;
                    }
                    if (phase.get() == 1) {
                        if (got < 0) {
                            failed.increment();
                        } else {
                            samples.add(got);
                            if (n[0] < lat.length - 1) {
                                lat[++n[0]] = System.nanoTime() - t0;
                            }
                        }
                    }
                }
                lat[0] = n[0];
            }, "load-" + name + "-" + c);
            t.start();
            threads.add(t);
        }
        System.out.printf("%s: warming up for %d s%n", name, warmup);
        Thread.sleep(warmup * 1000L);
        long cpu0 = cpuTicks(cpuPids);
        long broker0 = cpuPids.length > 1 ? cpuTicks(cpuPids[0]) : 0;
        long self0 = cpuTicks(ProcessHandle.current().pid());
        Map<String, Double> probed0 = probe.get();
        long t0 = System.nanoTime();
        phase.set(1);
        for (int s = 5; s <= seconds; s += 5) {
            Thread.sleep(5000);
            System.out.printf(Locale.ROOT, "%s: %d s, %,.0f samples/s so far%n", name, s,
                    samples.sum() / ((System.nanoTime() - t0) / 1e9));
        }
        Thread.sleep(Math.max(0, seconds * 1000L - (System.nanoTime() - t0) / 1_000_000));
        long elapsed = System.nanoTime() - t0;
        long cpu1 = cpuTicks(cpuPids);
        long broker1 = cpuPids.length > 1 ? cpuTicks(cpuPids[0]) : 0;
        long self1 = cpuTicks(ProcessHandle.current().pid());
        Map<String, Double> probed = new java.util.TreeMap<>(probe.get());
        probed.replaceAll((k, v) -> v - probed0.getOrDefault(k, 0.0));
        long done = samples.sum();
        long bad = failed.sum();
        phase.set(2);
        for (Thread t : threads) {
            t.join();
        }
        long[] all = latencies.stream().flatMapToLong(l -> Arrays.stream(l, 1, (int) l[0] + 1)).sorted().toArray();
        double p50 = all.length == 0 ? Double.NaN : all[all.length / 2] / 1e6;
        double p99 = all.length == 0 ? Double.NaN : all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6;
        return new Result(name, done / (elapsed / 1e9), p50, p99, (cpu1 - cpu0) / 100.0,
                cpuPids.length > 1 ? (broker1 - broker0) / 100.0 : Double.NaN, (self1 - self0) / 100.0, done, bad,
                probed);
    }

    /**
     * A plain producer with the gateway's settings, sending the records the gateway would write, or those records
     * packed {@code perRecord} to a Kafka record ({@link #packed}).
     */
    Result baseline(String bootstrap, String oplog, List<byte[]> bodies, long[] serverPids, int perRecord)
            throws Exception {
        CaimanConfig config = ConfigLoader.parse(Server.config(bootstrap, oplog), "load.yaml");
        PrometheusTextParser parser = new PrometheusTextParser();
        RemoteWriteDecoder decoder = new RemoteWriteDecoder(io.caiman.core.wire.SampleLimits.GENEROUS);
        List<List<ProducerRecord<byte[], byte[]>>> batches = new ArrayList<>();
        try (OplogWriter writer = new OplogWriter(config, config.requireCluster(oplog), "load-baseline", new SimpleMeterRegistry())) {
            for (byte[] body : bodies) {
                ParseResult parsed = remoteWrite()
                        ? decoder.decode(RemoteWriteDecoder.uncompress(body, Long.MAX_VALUE), RemoteWriteDecoder.Version.V1)
                        : parser.parse(body);
                batches.add(writer.records(parsed.batch(), "default", System.currentTimeMillis(), "prometheus-text", "load:0"));
            }
            List<List<ProducerRecord<byte[], byte[]>>> sent = new ArrayList<>();
            for (List<ProducerRecord<byte[], byte[]>> batch : batches) {
                sent.add(perRecord > 1 ? packed(batch, perRecord) : batch);
            }
            String name = perRecord > 1 ? "raw producer, " + perRecord + " samples a record" : "raw producer";
            return measure(name, serverPids, i -> {
                int at = i % batches.size();
                writer.send(sent.get(at), Duration.ofSeconds(30)).get(60, TimeUnit.SECONDS);
                return batches.get(at).size();
            });
        }
    }

    /**
     * {@code records} packed {@code perRecord} to a record, partition by partition in their order: each record's key
     * is its first sample's, and its value holds every packed sample's key and value, each after its length.
     */
    static List<ProducerRecord<byte[], byte[]>> packed(List<ProducerRecord<byte[], byte[]>> records, int perRecord) {
        Map<Integer, List<ProducerRecord<byte[], byte[]>>> byPartition = new java.util.TreeMap<>();
        for (ProducerRecord<byte[], byte[]> r : records) {
            byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r);
        }
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (List<ProducerRecord<byte[], byte[]>> partition : byPartition.values()) {
            for (int from = 0; from < partition.size(); from += perRecord) {
                List<ProducerRecord<byte[], byte[]>> group = partition.subList(from, Math.min(partition.size(),
                        from + perRecord));
                int bytes = 0;
                for (ProducerRecord<byte[], byte[]> r : group) {
                    bytes += 8 + r.key().length + r.value().length;
                }
                java.nio.ByteBuffer value = java.nio.ByteBuffer.allocate(bytes);
                for (ProducerRecord<byte[], byte[]> r : group) {
                    value.putInt(r.key().length).put(r.key()).putInt(r.value().length).put(r.value());
                }
                ProducerRecord<byte[], byte[]> first = group.get(0);
                out.add(new ProducerRecord<>(first.topic(), first.partition(), first.key(), value.array()));
            }
        }
        return out;
    }

    Result closedLoop(String name, List<byte[]> bodies, String url, long[] cpuPids, int okStatus) throws Exception {
        return closedLoop(name, bodies, url, cpuPids, okStatus, Map::of);
    }

    Result closedLoop(String name, List<byte[]> bodies, String url, long[] cpuPids, int okStatus,
            java.util.function.Supplier<Map<String, Double>> probe) throws Exception {
        return measure(name, cpuPids, i -> {
            byte[] body = bodies.get(i % bodies.size());
            HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                    .headers(headers()).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == okStatus ? perRequest : -1;
        }, probe);
    }

    /** VictoriaMetrics importing the same bodies on its Prometheus import path. */
    Result victoria(List<byte[]> bodies, Path tmp) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process vm = new ProcessBuilder(victoria.toString(), "-httpListenAddr=127.0.0.1:" + port,
                "-storageDataPath=" + tmp.resolve("victoria-metrics"), "-retentionPeriod=1y", "-loggerLevel=ERROR")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("victoria-metrics.log").toFile()).start();
        try {
            String base = "http://127.0.0.1:" + port;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    if (HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        break;
                    }
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("VictoriaMetrics did not start; see " + tmp.resolve("victoria-metrics.log"), e);
                    }
                }
                Thread.sleep(100);
            }
            System.out.println("victoria-metrics: " + base + ", pid " + vm.pid());
            return closedLoop("victoria-metrics", bodies, base + path(), new long[] {vm.pid()}, 204);
        } finally {
            vm.destroy();
            vm.waitFor(30, TimeUnit.SECONDS);
        }
    }

    record Overload(double offeredPerSecond, double seconds, Map<String, Long> outcomes, long peakHeapBytes,
            long peakLiveBytes, long skippedAtClientCap, String heapLimit) {
        String report() {
            return String.format(Locale.ROOT, "overload: %.0f requests/s offered for %.0f s; outcomes %s; "
                    + "the gateway's heap (-Xmx%s): at most %.0f MiB in use, at most %.0f MiB live (jcmd GC.class_histogram "
                    + "every 10 s); "
                    + "%d requests not sent because %d were already waiting for an answer", offeredPerSecond, seconds,
                    outcomes, heapLimit, peakHeapBytes / 1048576.0, peakLiveBytes / 1048576.0, skippedAtClientCap,
                    MAX_OUTSTANDING);
        }
    }

    static final int MAX_OUTSTANDING = 2_000;
    private static final Pattern HEAP = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\",[^}]*} ([0-9.eE+]+)$");
    private static final Pattern LIVE = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

    /**
     * Open loop: requests go out at {@code overloadFactor} times the rate the gateway sustained, whether or not
     * earlier ones were answered, so the gateway must refuse what it cannot take; the server's heap is sampled
     * from its {@code /metrics} every half second.
     */
    Overload overload(List<byte[]> bodies, String gatewayUrl, Result sustained, long serverPid) throws Exception {
        double perSecond = sustained.rate() / perRequest * overloadFactor;
        System.out.printf(Locale.ROOT, "overload: %.0f requests/s (%d times the sustained rate) for %d s%n", perSecond,
                overloadFactor, overloadSeconds);
        Map<String, Long> outcomes = new ConcurrentHashMap<>();
        Semaphore outstanding = new Semaphore(MAX_OUTSTANDING);
        AtomicLong peak = new AtomicLong();
        AtomicLong peakLive = new AtomicLong();
        AtomicLong skipped = new AtomicLong();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Thread heapWatch = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    String m = HTTP.send(HttpRequest.newBuilder(URI.create(gatewayUrl + "/metrics")).timeout(Duration.ofSeconds(5))
                            .build(), HttpResponse.BodyHandlers.ofString()).body();
                    Matcher h = HEAP.matcher(m);
                    long used = 0;
                    while (h.find()) {
                        used += (long) Double.parseDouble(h.group(1));
                    }
                    peak.accumulateAndGet(used, Math::max);
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    outcomes.merge("metrics unreachable", 1L, Long::sum);
                }
            }
        });
        heapWatch.start();
        long intervalNanos = (long) (1e9 / perSecond);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(overloadSeconds);
        long next = start;
        long lastReport = start;
        int i = 0;
        while (next < end) {
            long now = System.nanoTime();
            if (now < next) {
                TimeUnit.NANOSECONDS.sleep(Math.min(next - now, 1_000_000));
                continue;
            }
            next += intervalNanos;
            if (!outstanding.tryAcquire()) {
                skipped.incrementAndGet();
                continue;
            }
            byte[] body = bodies.get(i++ % bodies.size());
            client.sendAsync(HttpRequest.newBuilder(URI.create(gatewayUrl + path())).headers(headers())
                            .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.discarding())
                    .whenComplete((r, e) -> {
                        outstanding.release();
                        outcomes.merge(e != null ? rootCause(e).getClass().getSimpleName() : Integer.toString(r.statusCode()), 1L,
                                Long::sum);
                    });
            if (now - lastReport > TimeUnit.SECONDS.toNanos(10)) {
                lastReport = now;
                peakLive.accumulateAndGet(liveHeap(serverPid), Math::max);
                System.out.printf(Locale.ROOT, "overload: %d s, outcomes %s, peak heap %.0f MiB%n",
                        TimeUnit.NANOSECONDS.toSeconds(now - start), new TreeMap<>(outcomes), peak.get() / 1048576.0);
            }
        }
        outstanding.tryAcquire(MAX_OUTSTANDING, 90, TimeUnit.SECONDS);
        heapWatch.interrupt();
        heapWatch.join();
        if (!isAlive(serverPid)) {
            outcomes.merge("server died", 1L, Long::sum);
        }
        return new Overload(perSecond, overloadSeconds, new TreeMap<>(outcomes), peak.get(), peakLive.get(), skipped.get(),
                serverHeap);
    }

    // ---- the server JVMs ----

    Process startServer(Path tmp, String role, String heap, List<String> args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx" + heap,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Djava.io.tmpdir=" + tmp));
        if (role.equals("gateway")) {
            command.addAll(serverJvmOptions);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LoadTool.class.getName(), "server", role));
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(tmp.resolve(role + ".log").toFile()).start();
    }

    static String awaitReady(BufferedReader out) throws IOException {
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("READY ")) {
                return line;
            }
        }
        throw new IOException("a server JVM exited before it was ready");
    }

    /**
     * {@code server broker} runs one broker and prints {@code READY <bootstrap>}; {@code server gateway <bootstrap> [key=value ...]}
     * runs a gateway on it and prints {@code READY <port>}. Each runs until its stdin closes.
     */
    static final class Server {
        static final String CLUSTER = "load";

        static String config(String bootstrap, String name) {
            return String.join("\n",
                    "clusters:",
                    "  - name: " + name,
                    "    type: oplog",
                    "    servers: [" + bootstrap + "]",
                    "    partitions: 6",
                    "    replica_factor: 1",
                    "entrypoints:",
                    "  - protocol: http",
                    "    listen: 127.0.0.1:0",
                    "    cluster: " + name,
                    "");
        }

        static void main(String[] args) {
            try {
                if (args[1].equals("broker")) {
                    try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).dataDir(Files.createTempDirectory("kafka-"))
                            .build().start()) {
                        ready(kafka.bootstrapServers());
                    }
                } else {
                    List<String> settings = Arrays.asList(args).subList(3, args.length);
                    try (GatewayService gateway = new GatewayService(ConfigLoader.load(config(args[2], CLUSTER), "load.yaml",
                            Map.of(), settings))) {
                        gateway.start();
                        ready(Integer.toString(gateway.ports().get(0)));
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private static void ready(String what) throws IOException {
            System.out.println("READY " + what);
            System.out.flush();
            while (System.in.read() >= 0) {
                // runs until the load tool closes our stdin
            }
        }
    }

    // ---- helpers ----

    /** User plus system CPU time of processes, in clock ticks (1/100 s on Linux), from /proc. */
    static long cpuTicks(long... pids) {
        long ticks = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime and stime: fields 14 and 15
            } catch (IOException e) {
                // the process is gone: it adds nothing
            }
        }
        return ticks;
    }

    /**
     * The bytes of live objects in a JVM's heap: {@code jcmd GC.class_histogram} collects fully first and sums
     * what is left. A heap's "used" figure counts garbage not yet collected; this does not.
     */
    static long liveHeap(long pid) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            Matcher m = LIVE.matcher(out);
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    static Throwable rootCause(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        return e;
    }

    static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
