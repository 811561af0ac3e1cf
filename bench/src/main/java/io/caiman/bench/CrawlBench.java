package io.caiman.bench;

import io.caiman.cli.Main;
import io.caiman.coordinator.crawl.CrawlAudit;
import io.caiman.coordinator.crawl.CrawlResult;
import io.caiman.coordinator.crawl.CrawlTarget;
import io.caiman.coordinator.crawl.TargetCrawler;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.embedded.EmbeddedZooKeeper;
import io.caiman.embedded.Ports;
import io.caiman.testing.MetricsStub;
import io.caiman.testing.MetricsText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Crawl coordination end to end: {@code --targets} node_exporter-like targets (a stub in this JVM) at
 * {@code --interval}, crawled by {@code --crawlers} crawler processes sharing a real ZooKeeper and Kafka (started in
 * this JVM), then the same crawls by one uncoordinated process (HTTP, parse, idempotent produce: no lock, no
 * transaction, no ledger) as the baseline. Reports per (target, slot) how many crawls the oplog holds, ZooKeeper
 * writes and Kafka transactions per crawl, the spread over crawlers, and CPU per crawl against the baseline.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.caiman.bench.CrawlBench --targets 1000 --interval 15s --slots 4
 * </pre>
 */
@Command(name = "crawl-bench", mixinStandardHelpOptions = true)
public final class CrawlBench implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--targets", defaultValue = "1000", description = "Targets (default ${DEFAULT-VALUE}).")
    int targets;

    @Option(names = "--series", defaultValue = "50", description = "Series per target answer (default ${DEFAULT-VALUE}).")
    int series;

    @Option(names = "--interval", defaultValue = "15", description = "Crawl interval in seconds (default ${DEFAULT-VALUE}).")
    int interval;

    @Option(names = "--slots", defaultValue = "4", description = "Slots measured (default ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--crawlers", defaultValue = "3", description = "Crawler processes (default ${DEFAULT-VALUE}).")
    int crawlers;

    @Option(names = "--lease-groups", defaultValue = "16", description = "crawler.lease_groups (default ${DEFAULT-VALUE}).")
    int leaseGroups;

    @Option(names = "--jfr", paramLabel = "FILE", description = "Record the first crawler with Java Flight Recorder "
            + "(profile settings) into FILE, to see where its CPU goes.")
    Path jfr;

    @Option(names = "--keep", description = "Keep the working directory (the processes' logs) and print where it is.")
    boolean keep;

    @Option(names = "--baseline-only", description = "Internal: run the uncoordinated baseline on CONFIG for SECONDS.",
            arity = "2", hidden = true)
    List<String> baselineOnly;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public static void main(String[] args) {
        io.caiman.core.lifecycle.CommonPool.atLeastTwoThreads(); // as the crawlers (Main) do
        System.exit(new CommandLine(new CrawlBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (baselineOnly != null) {
            return baseline(Path.of(baselineOnly.get(0)), Long.parseLong(baselineOnly.get(1)));
        }
        Path dir = Files.createTempDirectory("caiman-crawl-bench-");
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(1, dir.resolve("zk"), 0);
                EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).dataDir(dir.resolve("kafka")).build().start();
                MetricsStub stub = new MetricsStub(series)) {
            Path config = dir.resolve("caiman.yaml");
            Files.writeString(config, config(kafka.bootstrapServers(), zk.connectString(), stub));
            CaimanConfig cfg = ConfigLoader.load(config, Map.of(), List.of());

            System.err.printf("crawl-bench: %d targets x %d series at %d s, %d crawlers, %d lease groups, %d slots%n",
                    targets, series, interval, crawlers, leaseGroups, slots);
            List<Process> processes = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Integer> ports = new ArrayList<>();
            // a bench stopped early (Ctrl-C) takes its crawlers with it
            Runtime.getRuntime().addShutdownHook(new Thread(() -> processes.forEach(Process::destroyForcibly)));
            for (int i = 0; i < crawlers; i++) {
                int port = Ports.free();
                ports.add(port);
                List<String> jvm = i == 0 && jfr != null ? List.of("-XX:StartFlightRecording=dumponexit=true,settings=profile,"
                        + "filename=" + jfr.toAbsolutePath()) : List.of();
                processes.add(java(dir, "crawler-" + i, jvm, Main.class.getName(), "crawler", "-c", config.toString(),
                        "--set", "crawler.node=c" + i, "--set", "crawler.listen=127.0.0.1:" + port,
                        "--set", "crawler.min_cluster_size=" + crawlers));
            }
            // measure whole slots once every crawler is up and the leases are shared out
            for (int i = 0; i < crawlers; i++) {
                awaitUp(ports.get(i), processes.get(i), dir.resolve("crawler-" + i + ".err"));
            }
            long intervalMs = interval * 1000L;
            long first = System.currentTimeMillis() / intervalMs + 2;
            sleepUntil(first * intervalMs);
            double[] cpu0 = cpu(processes);
            Map<String, double[]> before = scrape(ports);
            for (int s = 0; s < slots; s++) {
                sleepUntil((first + s + 1) * intervalMs);
                System.err.printf("crawl-bench: slot %d of %d done%n", s + 1, slots);
            }
            sleepUntil((first + slots) * intervalMs + 2_000); // the last slot's crawls committed
            double[] cpu1 = cpu(processes);
            Map<String, double[]> after = scrape(ports);
            double[] takeover = killOne(processes, ports);
            for (Process p : processes) {
                p.destroy();
            }
            for (Process p : processes) {
                p.waitFor(60, TimeUnit.SECONDS);
            }

            long once = 0;
            long never = 0;
            long twice = 0;
            for (CrawlAudit.TargetCrawls t : CrawlAudit.audit(cfg, cfg.requireCluster("bench-locks"))) {
                for (long s = first; s < first + slots; s++) {
                    int n = t.slots().getOrDefault(s, 0);
                    if (n == 1) {
                        once++;
                    } else if (n == 0) {
                        never++;
                    } else {
                        twice++;
                    }
                }
            }
            double crawls = delta(before, after, "crawls");
            double txns = delta(before, after, "transactions");
            double zkWrites = delta(before, after, "zk");
            double cpuSeconds = 0;
            StringBuilder spread = new StringBuilder();
            for (int i = 0; i < crawlers; i++) {
                cpuSeconds += cpu1[i] - cpu0[i];
                spread.append(i == 0 ? "" : " / ").append((long) (after.get("crawls")[i] - before.get("crawls")[i]));
            }

            System.err.println("crawl-bench: baseline, the same crawls from one process without coordination");
            Process base = java(dir, "baseline", List.of(), CrawlBench.class.getName(), "--baseline-only", config.toString(),
                    Long.toString((slots + 1) * (long) interval + 3));
            base.waitFor();
            String baseOut = Files.readString(dir.resolve("baseline.out"));
            Matcher m = Pattern.compile("BASELINE crawls=(\\d+) cpu=(\\S+)").matcher(baseOut);
            if (!m.find()) {
                throw new IllegalStateException("the baseline printed no result:\n" + baseOut
                        + Files.readString(dir.resolve("baseline.err")));
            }
            double baseCrawls = Double.parseDouble(m.group(1));
            double baseCpu = Double.parseDouble(m.group(2));

            long slotsExpected = (long) targets * slots;
            System.out.printf("targets %d at %d s, %d crawlers, %d lease groups, %d slots measured (%d target-slots)%n",
                    targets, interval, crawlers, leaseGroups, slots, slotsExpected);
            System.out.printf("  target-slots crawled exactly once: %d (%.4f), never: %d, more than once: %d%n", once,
                    once / (double) slotsExpected, never, twice);
            System.out.printf("  crawls committed %.0f (%.1f/s); spread over crawlers %s%n", crawls,
                    crawls / (slots * (double) interval), spread);
            System.out.printf("  ZooKeeper writes per crawl %.4f (%.0f writes); Kafka transactions per crawl %.4f (%.0f)%n",
                    zkWrites / crawls, zkWrites, txns / crawls, txns);
            System.out.printf("  threads started per crawl %.3f%n", delta(before, after, "threads") / crawls);
            System.out.printf("  crawler c%d killed (SIGKILL) holding %.0f lease groups: all %d groups crawled again by the "
                    + "others after %.1f s (zookeeper.session_timeout %d s); slots they reported missed meanwhile: %.0f%n",
                    crawlers - 1, takeover[0], leaseGroups, takeover[1], sessionTimeout(), takeover[2]);
            System.out.printf("  CPU per crawl: coordinated %.3f ms (%.1f CPU-s over %d crawlers), uncoordinated %.3f ms "
                    + "(%.1f CPU-s, %.0f crawls): ratio %.2f%n", cpuSeconds * 1000 / crawls, cpuSeconds, crawlers,
                    baseCpu * 1000 / baseCrawls, baseCpu, baseCrawls, (cpuSeconds / crawls) / (baseCpu / baseCrawls));
        } finally {
            if (keep) {
                System.err.println("crawl-bench: logs kept in " + dir);
            } else {
                io.caiman.embedded.Dirs.deleteQuietly(dir);
            }
        }
        return 0;
    }

    private String config(String kafka, String zk, MetricsStub stub) {
        StringBuilder yaml = new StringBuilder(String.join("\n",
                "clusters:",
                "  - {name: bench, type: oplog, servers: [" + kafka + "], partitions: 6, replica_factor: 1}",
                "  - {name: bench-locks, type: sharedlock, servers: [" + zk + "], oplog: bench}",
                "zookeeper: {session_timeout: " + sessionTimeout() + "s}",
                "crawler: {lease_groups: " + leaseGroups + ", commit_interval: 1s}",
                "aggregate:", ""));
        for (int i = 0; i < targets; i++) {
            yaml.append("  - {kind: prometheus, url: '").append(stub.url(i)).append("', labels: {target: t").append(i)
                    .append("}, cluster: bench-locks, interval: ").append(interval).append("s, timeout: ").append(Math.min(5, interval)).append("s}\n");
        }
        return yaml.toString();
    }

    private int sessionTimeout() {
        return Math.max(1, Math.min(5, interval / 3));
    }

    /**
     * Kills the last crawler with SIGKILL and waits until the others have taken over and crawl all the lease groups.
     *
     * @return the groups it held, the seconds until every group was active elsewhere, and the slots the others
     *     reported missed in that time (and for one interval after)
     */
    private double[] killOne(List<Process> processes, List<Integer> ports) throws Exception {
        int victim = processes.size() - 1;
        List<Integer> survivors = ports.subList(0, victim);
        String victimMetrics = metrics(ports.get(victim));
        double held = MetricsText.sumOf(victimMetrics, "caiman_crawler_leases");
        double missed0 = 0;
        for (int port : survivors) {
            missed0 += MetricsText.sumOf(metrics(port), "caiman_crawler_slots_missed_total");
        }
        long t0 = System.nanoTime();
        processes.get(victim).destroyForcibly(); // SIGKILL: no leaving, the session must expire
        System.err.printf("crawl-bench: killed crawler c%d holding %.0f lease groups%n", victim, held);
        double seconds = Double.NaN;
        while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60)) {
            double active = 0;
            for (int port : survivors) {
                active += MetricsText.sumOf(metrics(port), "caiman_crawler_leases_active");
            }
            if (active >= leaseGroups) {
                seconds = (System.nanoTime() - t0) / 1e9;
                break;
            }
            Thread.sleep(50);
        }
        Thread.sleep(interval * 1000L); // slots due meanwhile are crawled, or reported missed
        double missed1 = 0;
        for (int port : survivors) {
            missed1 += MetricsText.sumOf(metrics(port), "caiman_crawler_slots_missed_total");
        }
        return new double[] {held, seconds, missed1 - missed0};
    }

    private static String metrics(int port) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The uncoordinated baseline: every target once per slot, HTTP + parse + idempotent produce. */
    private static int baseline(Path config, long seconds) throws Exception {
        CaimanConfig cfg = ConfigLoader.load(config, Map.of(), List.of());
        List<CrawlTarget> all = CrawlTarget.of(cfg, "bench-locks");
        var oplog = cfg.requireCluster("bench");
        OplogRecords records = new OplogRecords(oplog, cfg.replicaLabels());
        TargetCrawler crawler = new TargetCrawler(TargetCrawler.newHttpClient(Duration.ofSeconds(10)),
                cfg.gateway().sampleLimits(), 16 << 20, "caiman-crawl-bench");
        AtomicLong crawls = new AtomicLong();
        long start = System.currentTimeMillis();
        long end = start + seconds * 1000;
        // measured like the crawlers: after one interval of warm-up
        long measureFrom = start + all.get(0).interval().toMillis();
        double cpu0 = -1;
        long crawls0 = 0;
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.newProducer(cfg, oplog, "crawl-bench-baseline")) {
            java.util.PriorityQueue<long[]> due = new java.util.PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
            long now = System.currentTimeMillis();
            for (int i = 0; i < all.size(); i++) {
                CrawlTarget t = all.get(i);
                long slot = t.slotOf(now) + 1;
                due.add(new long[] {t.dueMs(slot), i, slot});
            }
            java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(512);
            while (System.currentTimeMillis() < end) {
                if (cpu0 < 0 && System.currentTimeMillis() >= measureFrom) {
                    cpu0 = ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO).toNanos() / 1e9;
                    crawls0 = crawls.get();
                }
                long[] next = due.poll();
                long wait = next[0] - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                CrawlTarget t = all.get((int) next[1]);
                permits.acquire();
                crawler.crawl(t, next[2], System.currentTimeMillis()).whenComplete((CrawlResult r, Throwable e) -> {
                    if (r != null) {
                        for (ProducerRecord<byte[], byte[]> rec : records.records(r.samples(), t.tenant(), r.startedMs(),
                                "crawl", "baseline")) {
                            producer.send(rec);
                        }
                        crawls.incrementAndGet();
                    }
                    permits.release();
                });
                due.add(new long[] {t.dueMs(next[2] + 1), next[1], next[2] + 1});
            }
            permits.acquire(512);
            producer.flush();
        }
        double cpu1 = ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO).toNanos() / 1e9;
        System.out.println("BASELINE crawls=" + (crawls.get() - crawls0) + " cpu=" + (cpu1 - cpu0));
        return 0;
    }

    private static Process java(Path dir, String name, List<String> jvm, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m"));
        command.addAll(jvm);
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile()).start();
    }

    private static void awaitUp(int port, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not up yet
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("a crawler stopped:\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("crawler on port " + port + " not ready within 120 s");
            }
            Thread.sleep(200);
        }
    }

    private static void sleepUntil(long epochMs) throws InterruptedException {
        long wait = epochMs - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    private static double[] cpu(List<Process> processes) {
        double[] cpu = new double[processes.size()];
        for (int i = 0; i < cpu.length; i++) {
            cpu[i] = processes.get(i).info().totalCpuDuration().orElse(Duration.ZERO).toNanos() / 1e9;
        }
        return cpu;
    }

    /** Per crawler: crawls committed, transactions, ZooKeeper writes. */
    private static Map<String, double[]> scrape(List<Integer> ports) throws Exception {
        double[] crawls = new double[ports.size()];
        double[] txns = new double[ports.size()];
        double[] zk = new double[ports.size()];
        double[] threads = new double[ports.size()];
        for (int i = 0; i < ports.size(); i++) {
            String text = metrics(ports.get(i));
            crawls[i] = MetricsText.sumOf(text, "caiman_crawler_crawls_total");
            txns[i] = MetricsText.sumOf(text, "caiman_crawler_transactions_total");
            zk[i] = MetricsText.sumOf(text, "caiman_crawler_zookeeper_writes_total");
            threads[i] = MetricsText.sumOf(text, "jvm_threads_started_threads_total");
        }
        return Map.of("crawls", crawls, "transactions", txns, "zk", zk, "threads", threads);
    }


    private static double delta(Map<String, double[]> before, Map<String, double[]> after, String key) {
        double d = 0;
        for (int i = 0; i < before.get(key).length; i++) {
            d += after.get(key)[i] - before.get(key)[i];
        }
        return d;
    }
}
