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
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
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

    @Option(names = "--heap", defaultValue = "768m", description = "Each processor's -Xmx (default: ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--mode", split = ",", defaultValue = "standby,none",
            description = "Which runs: standby (replica_factor 2), none (replica_factor 1) (default: ${DEFAULT-VALUE}).")
    List<String> modes;

    @Option(names = "--signal", defaultValue = "KILL",
            description = "How A is stopped: KILL (SIGKILL, a crash) or TERM (SIGTERM, a graceful stop that leaves the group) (default: ${DEFAULT-VALUE}).")
    String signal;

    private static final Pattern PEER = Pattern.compile("\"address\":\"([^\"]+)\",\"self\":(true|false),\"partitions\":\\[([0-9,]*)\\]");

    public static void main(String[] args) {
        System.exit(new CommandLine(new RestoreBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("caiman-restore-bench-");
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(2).dataDir(dir.resolve("kafka")).build().start()) {
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
                        + Math.max(500, sessionTimeoutMs / 6) + "'}",
                "");
        Path config = dir.resolve("caiman.yaml");
        Files.writeString(config, yaml);
        CaimanConfig cfg = ConfigLoader.parse(yaml, "caiman.yaml");
        ClusterConfig cluster = cfg.requireCluster(name);
        out.printf(Locale.ROOT, "%s: %,d series over %d partitions, replica_factor %d (num.standby.replicas %d), "
                + "session timeout %d ms%n", mode, series, partitions, cluster.replicaFactor(), cluster.replicaFactor() - 1,
                sessionTimeoutMs);
        try (Admin admin = KafkaClients.newAdmin(cfg, cluster, "restore-bench")) {
            Topics.ensure(admin, TopicSpec.oplog(cluster));
            write(cfg, cluster, out);
            int portA = Ports.free();
            int portB = Ports.free();
            long t0 = System.nanoTime();
            Process a = processor(config, dir, "a", portA);
            Process b = processor(config, dir, "b", portB);
            try {
                awaitCaughtUp(admin, cluster, a, b, out, t0);
                Probes.awaitReady(portA, a::isAlive, Duration.ofSeconds(120));
                Probes.awaitReady(portB, b::isAlive, Duration.ofSeconds(120));
                out.printf(Locale.ROOT, "  both processors ready, every offset committed, after %.1f s; settling 10 s%n",
                        (System.nanoTime() - t0) / 1e9);
                Thread.sleep(10_000);
                List<Integer> aHeld = peers(portB).get("127.0.0.1:" + portA);
                boolean crash = !signal.equalsIgnoreCase("TERM");
                out.printf(Locale.ROOT, "  A holds partitions %s, B %s; stopping A (%s)%n", aHeld,
                        peers(portB).get("127.0.0.1:" + portB), crash ? "SIGKILL" : "SIGTERM");
                long logBefore = Files.size(dir.resolve("b.err"));
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
                long deadline = kill + TimeUnit.SECONDS.toNanos(300);
                while (System.nanoTime() < deadline && ready < 0) {
                    double at = (System.nanoTime() - kill) / 1e9;
                    Map<String, List<Integer>> view = peers(portB);
                    if (noticed < 0 && (view == null || !view.containsKey("127.0.0.1:" + portA))) {
                        noticed = at;
                    }
                    if (allHeld < 0 && view != null && view.size() == 1
                            && view.getOrDefault("127.0.0.1:" + portB, List.of()).size() == partitions) {
                        allHeld = at;
                    }
                    if (allHeld >= 0 && Probes.ready(portB)) {
                        ready = (System.nanoTime() - kill) / 1e9;
                    }
                    Thread.sleep(50);
                }
                if (ready < 0) {
                    throw new IllegalStateException(mode + ": B was not ready with every partition 300 s after the kill; see "
                            + dir.resolve("b.err"));
                }
                out.printf(Locale.ROOT, "  %s: after the signal, B's group view lost A at %.2f s, B held every partition at "
                        + "%.2f s and was ready at %.2f s: restore %.2f s after the group noticed; B restored %,d changelog "
                        + "records meanwhile (from its log)%n", mode, noticed, allHeld, ready, ready - noticed,
                        restored(dir.resolve("b.err"), logBefore));
            } finally {
                a.destroyForcibly();
                b.destroy();
                b.waitFor(30, TimeUnit.SECONDS);
                b.destroyForcibly();
            }
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

    private void write(CaimanConfig cfg, ClusterConfig cluster, PrintStream out) throws Exception {
        OplogRecords builder = new OplogRecords(cluster, List.of());
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.newProducer(cfg, cluster, "restore-bench")) {
            for (int i = 0; i < series; i += 1000) {
                List<ParsedSample> batch = new ArrayList<>(1000);
                for (int j = i; j < Math.min(series, i + 1000); j++) {
                    batch.add(new ParsedSample("restore_metric", Labels.of("instance", "host-" + (j / 100), "job", "bench",
                            "n", Integer.toString(j % 100)), j, null, MetricType.GAUGE, 0));
                }
                for (ProducerRecord<byte[], byte[]> r : builder.records(batch, "default", System.currentTimeMillis(),
                        "bench", "bench")) {
                    producer.send(r);
                }
                if (i % 200_000 == 0 && i > 0) {
                    out.printf(Locale.ROOT, "  wrote %,d series%n", i);
                }
            }
            producer.flush();
        }
        out.printf(Locale.ROOT, "  wrote %,d series in %.1f s%n", series, (System.nanoTime() - t0) / 1e9);
    }

    private Process processor(Path config, Path dir, String node, int port) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx" + heap, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "processor",
                "-c", config.toString(), "--set", "processor.listen=127.0.0.1:" + port,
                "--set", "processor.state_dir=" + dir.resolve("state-" + node)));
        return new ProcessBuilder(command).redirectOutput(dir.resolve(node + ".out").toFile())
                .redirectError(dir.resolve(node + ".err").toFile()).start();
    }

    private void awaitCaughtUp(Admin admin, ClusterConfig cluster, Process a, Process b, PrintStream out, long t0)
            throws Exception {
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(cluster.oplogTopic(), p));
        }
        Map<TopicPartition, Long> ends = new java.util.HashMap<>();
        admin.listOffsets(tps.stream().collect(java.util.stream.Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())))
                .all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        long lastReport = System.nanoTime();
        while (true) {
            if (!a.isAlive() || !b.isAlive()) {
                throw new IllegalStateException("a processor ended early; see its .err file");
            }
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(cluster.processorApplicationId())
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            long done = 0;
            boolean all = true;
            for (TopicPartition tp : tps) {
                OffsetAndMetadata c = committed.get(tp);
                done += c == null ? 0 : c.offset();
                all &= c != null && c.offset() >= ends.get(tp);
            }
            if (all) {
                return;
            }
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(5)) {
                out.printf(Locale.ROOT, "  processing: %,d of %,d records committed after %.0f s%n", done, series,
                        (System.nanoTime() - t0) / 1e9);
                lastReport = System.nanoTime();
            }
            Thread.sleep(250);
        }
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
