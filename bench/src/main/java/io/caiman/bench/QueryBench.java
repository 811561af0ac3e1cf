package io.caiman.bench;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.core.model.Labels;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.core.wire.ParsedSample;
import io.caiman.embedded.Dirs;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.processor.ProcessorService;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How long {@code /api/v1/series} takes on a processor holding many series, for selectors that bound the metric name
 * (read by range) against one that selects the same series without a bound (read whole), in the same run. One broker
 * in this JVM and one processor, also in this JVM, per state store.
 *
 * <p>The oplog holds {@code --series} series of {@code bench_metric} (100 to an instance) and {@code --small} of
 * {@code up}. Each query is asked {@code --repeats} times after a warm-up, and its median and slowest time are
 * reported with the entries it returned.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.caiman.bench.QueryBench</pre>
 */
@Command(name = "caiman-query-bench", mixinStandardHelpOptions = true,
        description = "Time /api/v1/series on a processor with many series: name-bounded selectors against an unbounded one.")
public final class QueryBench implements Callable<Integer> {

    @Option(names = "--series", defaultValue = "1000000", description = "Series of bench_metric (default: ${DEFAULT-VALUE}).")
    int series;

    @Option(names = "--small", defaultValue = "1000", description = "Series of up (default: ${DEFAULT-VALUE}).")
    int small;

    @Option(names = "--partitions", defaultValue = "6", description = "Oplog partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--repeats", defaultValue = "20", description = "Times each query is asked, after 3 (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--state-store", split = ",", defaultValue = "rocksdb,memory",
            description = "The processor's state stores, one run each (default: ${DEFAULT-VALUE}).")
    List<String> stores;

    public static void main(String[] args) {
        System.exit(new CommandLine(new QueryBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("caiman-query-bench-");
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).dataDir(dir.resolve("kafka")).build().start()) {
            for (String store : stores) {
                run(out, kafka, dir.resolve(store), store);
            }
        } finally {
            Dirs.deleteQuietly(dir);
        }
        return 0;
    }

    private void run(PrintStream out, EmbeddedKafka kafka, Path dir, String store) throws Exception {
        Files.createDirectories(dir);
        String name = "query" + store.charAt(0);
        String yaml = String.join("\n",
                "clusters:",
                "  - {name: " + name + ", type: oplog, servers: [" + kafka.bootstrapServers() + "], partitions: "
                        + partitions + ", replica_factor: 1, sharding_key: [__name__, instance]}",
                "processor:",
                "  listen: 127.0.0.1:0",
                "  state_dir: " + dir.resolve("state"),
                "  state_store: " + store,
                "");
        CaimanConfig cfg = ConfigLoader.parse(yaml, "caiman.yaml");
        ClusterConfig cluster = cfg.requireCluster(name);
        out.printf(Locale.ROOT, "%s: %,d series of bench_metric and %,d of up over %d partitions%n", store, series, small,
                partitions);
        try (Admin admin = KafkaClients.newAdmin(cfg, cluster, "query-bench")) {
            Topics.ensure(admin, TopicSpec.oplog(cluster));
            Oplogs.write(cfg, cluster, series + small, this::sample, "query-bench", out);
            long t0 = System.nanoTime();
            try (ProcessorService processor = new ProcessorService(cfg)) {
                processor.start();
                Oplogs.awaitCommitted(admin, cluster, () -> true, out, t0);
                out.printf(Locale.ROOT, "  the processor holds every series after %.1f s%n", (System.nanoTime() - t0) / 1e9);
                int port = processor.httpPort();
                double unbounded = time(out, port, "{__name__=~\"up|nothing\"}", "no name bound: reads every series");
                double exact = time(out, port, "up", "a name: reads its range");
                time(out, port, "{__name__=~\"u.*\"}", "a name's start: reads its range");
                time(out, port, "bench_metric{instance=\"host-7\"}", "a name and the sharding key: one partition, its range");
                time(out, port, "{instance=\"host-7\"}", "a label only: reads every series, parses those that hold it");
                time(out, port, "{instance=~\"host-7|target-7\"}", "a label's regex: reads every series, parses those it selects");
                out.printf(Locale.ROOT, "  %s: the bounded query took %.4f of the unbounded one's median time%n", store,
                        exact / unbounded);
            }
        }
    }

    /** Asks {@code selector} 3 + {@code --repeats} times; prints and returns the median time in ms. */
    private double time(PrintStream out, int port, String selector, String what) throws Exception {
        String path = "/api/v1/series?match[]=" + URLEncoder.encode(selector, StandardCharsets.UTF_8);
        double[] ms = new double[repeats];
        int entries = 0;
        for (int i = -3; i < repeats; i++) {
            long t = System.nanoTime();
            HttpResponse<String> r = Probes.get(port, path);
            double took = (System.nanoTime() - t) / 1e6;
            if (r.statusCode() != 200) {
                throw new IllegalStateException(selector + ": " + r.statusCode() + " " + r.body());
            }
            entries = count(r.body(), "\"kind\":");
            if (i >= 0) {
                ms[i] = took;
            }
        }
        Arrays.sort(ms);
        double median = ms[repeats / 2];
        out.printf(Locale.ROOT, "  %-45s %,6d entries  median %9.2f ms  slowest %9.2f ms  (%s)%n", selector, entries,
                median, ms[repeats - 1], what);
        return median;
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** Series {@code j}: of bench_metric (100 to an instance) below {@code --series}, then of up. */
    private ParsedSample sample(int j) {
        return j < series
                ? new ParsedSample("bench_metric", Labels.of("instance", "host-" + (j / 100), "job", "bench",
                        "n", Integer.toString(j % 100)), j, null, MetricType.GAUGE, 0)
                : new ParsedSample("up", Labels.of("instance", "target-" + (j - series), "job", "node"), 1, null,
                        MetricType.GAUGE, 0);
    }
}
