package io.caiman.bench;

import io.caiman.cli.Main;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParsedSample;
import io.caiman.embedded.Dirs;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.embedded.Ports;
import io.caiman.schemas.oplog.MetricType;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How long the processors take to serve every partition again after one of two is killed with SIGKILL (or stopped
 * with SIGTERM: {@code --signal TERM}), with its
 * state held by a standby on the other and without one. Two real brokers in this JVM; the processors are {@code
 * caiman processor} processes of their own.
 *
 * <p>For each mode: write one sample of each of {@code --series} series, start processors A and B, wait until their
 * group has committed every oplog offset and both are ready (then a settling pause, so B's standbys read the
 * changelog to its end), kill A, and watch B. Three times are reported from the kill: when B's group view first
 * changed (the group noticed A was gone: the session timeout), when B held every partition, and when B was ready
 * again (running, nothing restoring, lag within bound). The restore time is the last minus the first.
 *
 * <p>With {@code --feed N}, samples keep arriving while A dies, so A dies with a transaction open (a processor under
 * load always has one): a fourth time is reported, when the group's committed offset of each of A's partitions first
 * moved past where A left it, that is when B processed A's partitions again. Under exactly_once_v2 B cannot read a
 * partition's committed offset while a dead member's transaction still holds an offset commit for it.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.caiman.bench.RestoreBench</pre>
 */
@Command(name = "caiman-restore-bench", mixinStandardHelpOptions = true,
        description = "Kill one of two processors and time until the other serves every partition, with and without a standby.")
public final class RestoreBench implements Callable<Integer> {

    @Option(names = "--series", defaultValue = "1000000", description = "Series, one sample each (default: ${DEFAULT-VALUE}).")
    int series;

    @Option(names = "--partitions", defaultValue = "6", description = "Oplog partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--session-timeout", defaultValue = "6000",
            description = "The processors' consumer session.timeout.ms: how soon a dead member is noticed (default: ${DEFAULT-VALUE}, the broker's minimum).")
    int sessionTimeoutMs;

    @Option(names = "--transaction-timeout", defaultValue = "0",
            description = "The processors' producer transaction.timeout.ms: how long a dead processor's open transaction "
                    + "holds its partitions' offsets; 0 for Streams' default under exactly_once_v2, 10 s (default: ${DEFAULT-VALUE}).")
    int transactionTimeoutMs;

    @Option(names = "--abort-check-interval", defaultValue = "10000",
            description = "The brokers' transaction.abort.timed.out.transaction.cleanup.interval.ms: how often they look "
                    + "for transactions past their timeout (default: ${DEFAULT-VALUE}, Kafka's).")
    int abortCheckIntervalMs;

    @Option(names = "--heap", defaultValue = "768m", description = "Each processor's -Xmx (default: ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--mode", split = ",", defaultValue = "standby,none",
            description = "Which runs: standby (replica_factor 2), none (replica_factor 1) (default: ${DEFAULT-VALUE}).")
    List<String> modes;

    @Option(names = "--signal", defaultValue = "KILL",
            description = "How A is stopped: KILL (SIGKILL, a crash) or TERM (SIGTERM, a graceful stop that leaves the group) (default: ${DEFAULT-VALUE}).")
    String signal;

    @Option(names = "--feed", defaultValue = "0",
            description = "Samples a second written to the oplog from the settling pause until B has moved every one of "
                    + "A's partitions past where A left it, so that A dies inside a transaction, as it does under load; "
                    + "0 for none (default: ${DEFAULT-VALUE}).")
    int feed;

    private static final Pattern PEER = Pattern.compile("\"address\":\"([^\"]+)\",\"self\":(true|false),\"partitions\":\\[([0-9,]*)\\]");

    public static void main(String[] args) {
        System.exit(new CommandLine(new RestoreBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("caiman-restore-bench-");
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(2).dataDir(dir.resolve("kafka"))
                .brokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms",
                        Integer.toString(abortCheckIntervalMs)).build().start()) {
            for (String mode : modes) {
                run(out, kafka, dir.resolve(mode), mode);
            }
        } finally {
            Dirs.deleteQuietly(dir);
        }
        return 0;
    }

    private void run(PrintStream out, EmbeddedKafka kafka, Path dir, String mode) throws Exception {
        Files.createDirectories(dir);
        boolean standby = mode.equals("standby");
        String name = "restore" + (standby ? "s" : "n");
        String yaml = String.join("\n",
                "clusters:",
                "  - {name: " + name + ", type: oplog, servers: [" + kafka.bootstrapServers() + "], partitions: "
                        + partitions + ", replica_factor: " + (standby ? 2 : 1) + ", sharding_key: [__name__, instance]}",
                "kafka:",
                "  streams: {session.timeout.ms: '" + sessionTimeoutMs + "', heartbeat.interval.ms: '"
                        + Math.max(500, sessionTimeoutMs / 6) + "'"
                        + (transactionTimeoutMs > 0 ? ", producer.transaction.timeout.ms: '" + transactionTimeoutMs + "'" : "")
                        + "}",
                "");
        Path config = dir.resolve("caiman.yaml");
        Files.writeString(config, yaml);
        CaimanConfig cfg = ConfigLoader.parse(yaml, "caiman.yaml");
        ClusterConfig cluster = cfg.requireCluster(name);
        out.printf(Locale.ROOT, "%s: %,d series over %d partitions, replica_factor %d (num.standby.replicas %d), "
                + "session timeout %d ms, transaction timeout %s, brokers' abort check every %d ms%n", mode, series,
                partitions, cluster.replicaFactor(), cluster.replicaFactor() - 1,
                sessionTimeoutMs, transactionTimeoutMs > 0 ? transactionTimeoutMs + " ms" : "Streams' default",
                abortCheckIntervalMs);
        try (Admin admin = KafkaClients.newAdmin(cfg, cluster, "restore-bench")) {
            Topics.ensure(admin, TopicSpec.oplog(cluster));
            Oplogs.write(cfg, cluster, series, RestoreBench::sample, "restore-bench", out);
            int portA = Ports.free();
            int portB = Ports.free();
            long t0 = System.nanoTime();
            Process a = processor(config, dir, "a", portA);
            Process b = processor(config, dir, "b", portB);
            Feeder feeder = null;
            try {
                Oplogs.awaitCommitted(admin, cluster, () -> a.isAlive() && b.isAlive(), out, t0);
                Probes.awaitReady(portA, a::isAlive, Duration.ofSeconds(120));
                Probes.awaitReady(portB, b::isAlive, Duration.ofSeconds(120));
                out.printf(Locale.ROOT, "  both processors ready, every offset committed, after %.1f s; settling 10 s%n",
                        (System.nanoTime() - t0) / 1e9);
                feeder = feed > 0 ? Feeder.start(cfg, cluster, feed, Math.min(series, 100_000)) : null;
                Thread.sleep(10_000);
                List<Integer> aHeld = peers(portB).get("127.0.0.1:" + portA);
                boolean crash = !signal.equalsIgnoreCase("TERM");
                out.printf(Locale.ROOT, "  A holds partitions %s, B %s; stopping A (%s)%n", aHeld,
                        peers(portB).get("127.0.0.1:" + portB), crash ? "SIGKILL" : "SIGTERM");
                long logBefore = Files.size(dir.resolve("b.err"));
                Map<TopicPartition, Long> leftAt = feeder == null ? Map.of() : committed(admin, cluster);
                long kill = System.nanoTime();
                if (crash) {
                    a.destroyForcibly();
                } else {
                    a.destroy();
                }
                a.waitFor(30, TimeUnit.SECONDS);
                double noticed = -1;
                double allHeld = -1;
                double ready = -1;
                double moved = feeder == null ? 0 : -1;
                long deadline = kill + TimeUnit.SECONDS.toNanos(300);
                while (System.nanoTime() < deadline && (ready < 0 || moved < 0)) {
                    double at = (System.nanoTime() - kill) / 1e9;
                    Map<String, List<Integer>> view = peers(portB);
                    if (noticed < 0 && (view == null || !view.containsKey("127.0.0.1:" + portA))) {
                        noticed = at;
                    }
                    if (allHeld < 0 && view != null && view.size() == 1
                            && view.getOrDefault("127.0.0.1:" + portB, List.of()).size() == partitions) {
                        allHeld = at;
                    }
                    if (ready < 0 && allHeld >= 0 && Probes.ready(portB)) {
                        ready = (System.nanoTime() - kill) / 1e9;
                    }
                    if (moved < 0 && movedPast(committed(admin, cluster), leftAt, aHeld)) {
                        moved = (System.nanoTime() - kill) / 1e9;
                    }
                    Thread.sleep(50);
                }
                if (feeder != null) {
                    out.printf(Locale.ROOT, "  fed %,d samples at %,d a second%n", feeder.stop(), feed);
                }
                if (ready < 0 || moved < 0) {
                    throw new IllegalStateException(mode + ": B was not ready with every partition, or had not moved A's "
                            + "partitions on, 300 s after the kill; see " + dir.resolve("b.err"));
                }
                out.printf(Locale.ROOT, "  %s: after the signal, B's group view lost A at %.2f s, B held every partition at "
                        + "%.2f s and was ready at %.2f s, %.2f s after the group noticed; B restored %,d changelog "
                        + "records meanwhile (from its log)%n", mode, noticed, allHeld, ready, ready - noticed,
                        restored(dir.resolve("b.err"), logBefore));
                if (feeder != null) {
                    out.printf(Locale.ROOT, "  %s: B committed past where A left every one of A's partitions at %.2f s%n",
                            mode, moved);
                }
            } finally {
                if (feeder != null) {
                    feeder.stop();
                }
                a.destroyForcibly();
                b.destroy();
                b.waitFor(30, TimeUnit.SECONDS);
                b.destroyForcibly();
            }
        }
    }

    /** Series {@code j} of the bench (100 to an instance), with value {@code j}. */
    private static ParsedSample sample(int j) {
        return new ParsedSample("restore_metric", Labels.of("instance", "host-" + (j / 100), "job", "bench",
                "n", Integer.toString(j % 100)), j, null, MetricType.GAUGE, 0);
    }

    /** The group's committed oplog offsets. */
    private static Map<TopicPartition, Long> committed(Admin admin, ClusterConfig cluster) throws Exception {
        Map<TopicPartition, Long> offsets = new java.util.HashMap<>();
        admin.listConsumerGroupOffsets(cluster.processorApplicationId()).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS).forEach((tp, o) -> {
                    if (o != null && tp.topic().equals(cluster.oplogTopic())) {
                        offsets.put(tp, o.offset());
                    }
                });
        return offsets;
    }

    /** Whether every partition A held has a committed offset past the one it had when A died. */
    private static boolean movedPast(Map<TopicPartition, Long> now, Map<TopicPartition, Long> leftAt, List<Integer> aHeld) {
        for (Map.Entry<TopicPartition, Long> left : leftAt.entrySet()) {
            if (aHeld.contains(left.getKey().partition()) && now.getOrDefault(left.getKey(), -1L) <= left.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Writes samples of the bench's series at a steady rate on a thread of its own, until stopped. */
    private static final class Feeder {
        private final Thread thread;
        private volatile boolean running = true;
        private long sent;

        private Feeder(CaimanConfig cfg, ClusterConfig cluster, int perSecond, int series) {
            thread = new Thread(() -> feed(cfg, cluster, perSecond, series), "restore-bench-feeder");
            thread.setDaemon(true);
        }

        static Feeder start(CaimanConfig cfg, ClusterConfig cluster, int perSecond, int series) {
            Feeder f = new Feeder(cfg, cluster, perSecond, series);
            f.thread.start();
            return f;
        }

        private void feed(CaimanConfig cfg, ClusterConfig cluster, int perSecond, int series) {
            OplogRecords builder = new OplogRecords(cluster, List.of());
            int tick = Math.max(1, perSecond / 20); // twenty batches a second
            try (KafkaProducer<byte[], byte[]> producer = KafkaClients.newProducer(cfg, cluster, "restore-bench-feed")) {
                long next = System.nanoTime();
                int j = 0;
                while (running) {
                    List<ParsedSample> batch = new ArrayList<>(tick);
                    for (int i = 0; i < tick; i++, j = (j + 1) % series) {
                        batch.add(sample(j));
                    }
                    for (ProducerRecord<byte[], byte[]> r : builder.records(batch, "default", System.currentTimeMillis(),
                            "bench", "bench")) {
                        producer.send(r);
                    }
                    sent += tick;
                    next += TimeUnit.MILLISECONDS.toNanos(50);
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Stops and returns how many samples were sent. */
        long stop() throws InterruptedException {
            running = false;
            thread.join(30_000);
            return sent;
        }
    }

    /** The records B says it restored into its stores ("restored store … : N records in T ms"). */
    private static long restored(Path log, long from) throws java.io.IOException {
        String text = Files.readString(log);
        Matcher m = Pattern.compile("restored store \\S+ from \\S+: (\\d+) records")
                .matcher(text.substring((int) Math.min(from, text.length())));
        long total = 0;
        while (m.find()) {
            total += Long.parseLong(m.group(1));
        }
        return total;
    }

    private Process processor(Path config, Path dir, String node, int port) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx" + heap, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "processor",
                "-c", config.toString(), "--set", "processor.listen=127.0.0.1:" + port,
                "--set", "processor.state_dir=" + dir.resolve("state-" + node)));
        return new ProcessBuilder(command).redirectOutput(dir.resolve(node + ".out").toFile())
                .redirectError(dir.resolve(node + ".err").toFile()).start();
    }

    /** Every processor's active oplog partitions as B sees its group, or null while B does not serve the view. */
    private static Map<String, List<Integer>> peers(int port) {
        try {
            HttpResponse<String> r = Probes.get(port, "/api/v1/cluster/peers");
            if (r.statusCode() != 200) {
                return null;
            }
            Map<String, List<Integer>> view = new java.util.TreeMap<>();
            Matcher m = PEER.matcher(r.body());
            while (m.find()) {
                List<Integer> held = new ArrayList<>();
                for (String p : m.group(3).split(",")) {
                    if (!p.isEmpty()) {
                        held.add(Integer.parseInt(p));
                    }
                }
                view.put(m.group(1), held);
            }
            return view;
        } catch (Exception e) {
            return null;
        }
    }
}
