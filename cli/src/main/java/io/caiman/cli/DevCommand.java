package io.caiman.cli;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.embedded.Dirs;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.embedded.EmbeddedZooKeeper;
import io.caiman.embedded.Ports;
import io.caiman.gateway.GatewayService;
import io.caiman.processor.ProcessorService;
import io.caiman.coordinator.crawl.CrawlerService;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dev", mixinStandardHelpOptions = true,
        description = {"Run everything in one JVM: a real Kafka broker (KRaft) and ZooKeeper server on 127.0.0.1, "
                + "a gateway, a processor and a crawler, with a sample configuration. Prints the URLs and a line to try. "
                + "Ctrl-C stops it."})
final class DevCommand implements Callable<Integer> {

    /** One OTLP/JSON gauge from a service named demo: the banner's line to try OTLP with. */
    static final String OTLP_EXAMPLE = "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
            + "\"value\":{\"stringValue\":\"demo\"}}]},\"scopeMetrics\":[{\"metrics\":[{\"name\":\"hello.otlp\","
            + "\"gauge\":{\"dataPoints\":[{\"asDouble\":1}]}}]}]}]}";

    @Option(names = "--data", paramLabel = "DIR",
            description = "Keep Kafka, ZooKeeper and processor data in DIR across runs (default: a temporary directory, "
                    + "removed on exit).")
    Path data;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a setting of the dev configuration (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        DevCluster dev = DevCluster.start(data, overrides, System.out);
        new Running(dev::close);
        dev.awaitFailure();
        return 1;
    }

    /** The running dev deployment; also what the end-to-end test starts. */
    static final class DevCluster implements AutoCloseable {
        final EmbeddedZooKeeper zookeeper;
        final EmbeddedKafka kafka;
        final GatewayService gateway;
        final ProcessorService processor;
        final CrawlerService crawler;
        final String gatewayUrl;
        final String processorUrl;
        private final Path tempDir;

        private DevCluster(EmbeddedZooKeeper zookeeper, EmbeddedKafka kafka, GatewayService gateway,
                ProcessorService processor, CrawlerService crawler, String gatewayUrl, String processorUrl, Path tempDir) {
            this.zookeeper = zookeeper;
            this.kafka = kafka;
            this.gateway = gateway;
            this.processor = processor;
            this.crawler = crawler;
            this.gatewayUrl = gatewayUrl;
            this.processorUrl = processorUrl;
            this.tempDir = tempDir;
        }

        static DevCluster start(Path data, List<String> userOverrides, PrintStream out) throws Exception {
            long t0 = System.nanoTime();
            Path dir = data != null ? data : Files.createTempDirectory("caiman-dev-");
            out.println("caiman dev: starting ZooKeeper and Kafka in this JVM (data in " + dir + ") ...");
            EmbeddedZooKeeper zk = null;
            EmbeddedKafka kafka = null;
            GatewayService gateway = null;
            ProcessorService processor = null;
            CrawlerService crawler = null;
            try {
                zk = EmbeddedZooKeeper.start(1, dir.resolve("zookeeper"), 2181);
                kafka = EmbeddedKafka.builder().nodes(1).dataDir(dir.resolve("kafka")).preferredBrokerPort(9092).build().start();
                int gatewayPort = Ports.preferred(9091);
                int processorPort = Ports.preferred(9400);
                int graphitePort = Ports.preferred(2003);
                int rawPort = Ports.preferred(1111);
                int statsdPort = Ports.preferred(8125);
                int crawlerPort = Ports.preferred(9500);
                List<String> overrides = new ArrayList<>(List.of(
                        "clusters[0].servers=" + kafka.bootstrapServers(),
                        "clusters[1].servers=" + zk.connectString(),
                        "entrypoints[0].listen=127.0.0.1:" + gatewayPort,
                        "entrypoints[1].listen=127.0.0.1:" + graphitePort,
                        "entrypoints[2].listen=127.0.0.1:" + graphitePort,
                        "entrypoints[3].listen=127.0.0.1:" + rawPort,
                        "entrypoints[4].listen=127.0.0.1:" + statsdPort,
                        "entrypoints[5].listen=127.0.0.1:" + statsdPort,
                        "processor.listen=127.0.0.1:" + processorPort,
                        "processor.state_dir=" + dir.resolve("processor"),
                        "crawler.listen=127.0.0.1:" + crawlerPort,
                        "aggregate[0].url=http://127.0.0.1:" + gatewayPort + "/metrics",
                        "aggregate[1].url=http://127.0.0.1:" + crawlerPort + "/metrics"));
                overrides.addAll(userOverrides);
                CaimanConfig config = ConfigLoader.load(devConfig(), "dev.yaml", System.getenv(), overrides);
                gateway = new GatewayService(config);
                gateway.start();
                processor = new ProcessorService(config);
                processor.start();
                awaitRunning(processor, Duration.ofSeconds(60));
                crawler = new CrawlerService(config);
                crawler.start();
                Path toolsConfig = writeToolsConfig(config, dir);
                String gatewayUrl = "http://127.0.0.1:" + gateway.ports().get(0);
                String processorUrl = "http://127.0.0.1:" + processor.httpPort();
                String crawlerUrl = "http://127.0.0.1:" + crawler.httpPort();
                printBanner(out, kafka, zk, gatewayUrl, processorUrl, crawlerUrl, gateway.ports(), toolsConfig,
                        (System.nanoTime() - t0) / 1_000_000);
                return new DevCluster(zk, kafka, gateway, processor, crawler, gatewayUrl, processorUrl,
                        data == null ? dir : null);
            } catch (Exception | Error e) {
                closeAll(crawler, processor, gateway, kafka, zk);
                if (data == null) {
                    Dirs.deleteQuietly(dir);
                }
                throw e;
            }
        }

        static String devConfig() throws IOException {
            try (InputStream in = DevCommand.class.getResourceAsStream("dev.yaml")) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }

        private static void awaitRunning(ProcessorService processor, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (processor.streamsState() != KafkaStreams.State.RUNNING) {
                if (System.nanoTime() > deadline || processor.failure() != null) {
                    throw new IllegalStateException("the processor did not start within " + timeout.toSeconds() + " s"
                            + (processor.failure() != null ? ": " + processor.failure().getMessage() : ""));
                }
                Thread.sleep(50);
            }
        }

        /**
         * Writes the clusters this run started to {@code dir/caiman.yaml}, so that commands run beside it
         * ({@code caiman replay}, {@code caiman oplog status}) find them.
         */
        static Path writeToolsConfig(CaimanConfig config, Path dir) throws IOException {
            StringBuilder yaml = new StringBuilder("# written by caiman dev: the clusters it started, for commands run beside "
                    + "it\n# (caiman replay -c THIS_FILE, caiman oplog status -c THIS_FILE); valid while it runs\nclusters:\n");
            for (io.caiman.core.config.ClusterConfig c : config.clusters()) {
                yaml.append("  - name: ").append(c.name()).append('\n')
                        .append("    type: ").append(c.type().name().toLowerCase(java.util.Locale.ROOT)).append('\n')
                        .append("    servers: [").append(c.connectString()).append("]\n");
                if (c.type() == io.caiman.core.config.ClusterConfig.Type.OPLOG) {
                    yaml.append("    partitions: ").append(c.partitions()).append('\n')
                            .append("    replica_factor: ").append(c.replicaFactor()).append('\n');
                    if (c.retentionBytes() != null) {
                        yaml.append("    retention_bytes: ").append(c.retentionBytes()).append('\n');
                    }
                }
            }
            Path file = dir.resolve("caiman.yaml");
            Files.writeString(file, yaml);
            return file;
        }

        private static void printBanner(PrintStream out, EmbeddedKafka kafka, EmbeddedZooKeeper zk, String gatewayUrl,
                String processorUrl, String crawlerUrl, List<Integer> ports, Path toolsConfig, long millis) {
            out.println();
            out.println("Caiman dev is running (ready in " + millis + " ms). Ctrl-C stops it.");
            out.println("  Kafka      " + kafka.bootstrapServers() + "  (KRaft, 1 broker; oplog topic dev.oplog)");
            out.println("  ZooKeeper  " + zk.connectString());
            out.println("  gateway    " + gatewayUrl + "  POST /api/v1/import/prometheus (text) · POST /api/v1/write "
                    + "(remote write) · POST /write, /api/v2/write (Influx) · POST /v1/metrics (OTLP) · "
                    + "PUT /metrics/job/<job> · /metrics · /-/ready");
            out.println("  graphite   127.0.0.1:" + ports.get(1) + "  plaintext over TCP and UDP (gateway.graphite_mapping_file maps paths)");
            out.println("  raw        127.0.0.1:" + ports.get(3) + "  Alligator's raw TCP listener: Prometheus, Graphite and Influx lines");
            out.println("  statsd     127.0.0.1:" + ports.get(4) + "  StatsD over UDP and TCP (DogStatsD, InfluxDB, Librato and SignalFx tags)");
            out.println("  processor  " + processorUrl + "  /metrics (every series' last value and sample count, rule outputs) · /api/v1/series?match[]=… · /api/v1/cluster/peers · /-/ready");
            out.println("  crawler    " + crawlerUrl + "  crawls the gateway's and its own /metrics every 15 s, exactly once "
                    + "(ZooKeeper lease + Kafka transaction) · /api/v1/cluster/peers");
            out.println();
            out.println("Send a sample, then see it on the processor:");
            out.println("  curl -sS --data-binary 'caiman_hello{greeting=\"world\"} 42' " + gatewayUrl + "/api/v1/import/prometheus");
            out.println("  curl -sS " + processorUrl + "/metrics | grep caiman_hello");
            out.println();
            out.println("Or point a Prometheus at it:  remote_write: [{url: " + gatewayUrl + "/api/v1/write}]");
            out.println("Or send line protocol, as Telegraf does:");
            out.println("  curl -sS --data-binary 'weather,city=oslo temp_c=4.5' '" + gatewayUrl + "/write?db=telegraf'");
            out.println("Or OpenTelemetry (an SDK: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=" + gatewayUrl + "/v1/metrics):");
            out.println("  curl -sS -H 'Content-Type: application/json' --data-binary '" + OTLP_EXAMPLE + "' "
                    + gatewayUrl + "/v1/metrics");
            out.println("Or Graphite (bash):");
            out.println("  echo \"servers.web-1.load 0.5 $(date +%s)\" > /dev/tcp/127.0.0.1/" + ports.get(1));
            out.println("Or StatsD (bash; the processor adds up the increments):");
            out.println("  echo 'deploys.done:1|c|#team:infra' > /dev/udp/127.0.0.1/" + ports.get(4));
            out.println();
            out.println("See what the crawler wrote (after its first crawl), and the crawl cluster's members:");
            out.println("  curl -sS " + processorUrl + "/metrics | grep '^up{'");
            out.println("  curl -sS " + crawlerUrl + "/api/v1/cluster/peers");
            out.println("Crawl the gateway now, once per key however often you run it:");
            out.println("  ./caiman crawl trigger --crawler " + crawlerUrl + " --target " + gatewayUrl + "/metrics --key try-1");
            out.println();
            out.println("Replay what the oplog holds, and see its state (in another terminal):");
            out.println("  ./caiman replay -c " + toolsConfig + " --from 5m");
            out.println("  ./caiman oplog status -c " + toolsConfig);
            out.println();
            out.flush();
        }

        void awaitFailure() throws InterruptedException {
            processor.awaitFailure();
        }

        @Override
        public void close() {
            closeAll(crawler, processor, gateway, kafka, zookeeper);
            if (tempDir != null) {
                Dirs.deleteQuietly(tempDir);
            }
        }

        private static void closeAll(AutoCloseable... services) {
            for (AutoCloseable s : services) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (Exception e) {
                        System.err.println("caiman dev: " + s.getClass().getSimpleName() + " did not close cleanly: " + e);
                    }
                }
            }
        }
    }
}
