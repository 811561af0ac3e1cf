package io.caiman.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real Kafka brokers in KRaft mode, started in this JVM: N combined broker+controller nodes, every
 * listener on 127.0.0.1. Dev mode, the local cluster and integration tests all use this class.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(3).build().start()) {
 *     String bootstrap = kafka.bootstrapServers();
 *     kafka.stopNode(2);   // controlled shutdown of one member
 *     kafka.startNode(2);  // back, with its data
 * }
 * }</pre>
 *
 * <p>This class is the only place that touches Kafka's server internals ({@code KafkaRaftServer},
 * {@code KafkaConfig}, {@code StorageTool}); Kafka's own test kit is not used because it binds every
 * interface.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final List<Node> nodes = new ArrayList<>();
    private final Path dir;
    private final boolean deleteOnClose;
    private final String clusterId = Uuid.randomUuid().toString();
    private final Map<String, String> overrides;

    private static final class Node {
        final int id;
        final int brokerPort;
        final int controllerPort;
        final Path logDir;
        volatile KafkaRaftServer server;

        Node(int id, int brokerPort, int controllerPort, Path logDir) {
            this.id = id;
            this.brokerPort = brokerPort;
            this.controllerPort = controllerPort;
            this.logDir = logDir;
        }
    }

    private EmbeddedKafka(Builder b) {
        this.dir = b.dir != null ? b.dir : Dirs.temp("caiman-kafka-");
        this.deleteOnClose = b.dir == null;
        this.overrides = Map.copyOf(b.overrides);
        for (int id = 1; id <= b.nodes; id++) {
            int brokerPort = id == 1 && b.brokerPort > 0 ? Ports.preferred(b.brokerPort) : Ports.free();
            nodes.add(new Node(id, brokerPort, Ports.free(), dir.resolve("node-" + id)));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Formats storage (once) and starts every node, waiting until all brokers are registered.
     *
     * @throws IllegalStateException if the cluster is not up within a minute, with the reason
     */
    public EmbeddedKafka start() {
        trapExit();
        long t0 = System.nanoTime();
        nodes.forEach(this::format);
        // a quorum of voters must be up before startup() returns, so start them together
        CompletableFuture.allOf(nodes.stream()
                .map(n -> CompletableFuture.runAsync(() -> startServer(n)))
                .toArray(CompletableFuture[]::new)).join();
        awaitBrokers(nodes.size(), Duration.ofSeconds(60));
        log.info("embedded Kafka with {} node(s) up at {} in {} ms", nodes.size(), bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return this;
    }

    /** {@code bootstrap.servers} for clients: every node's broker listener. */
    public String bootstrapServers() {
        return nodes.stream().map(n -> "127.0.0.1:" + n.brokerPort).collect(Collectors.joining(","));
    }

    public int size() {
        return nodes.size();
    }

    /** Controlled shutdown of node {@code id} (1-based); its data stays for {@link #startNode}. */
    public void stopNode(int id) {
        Node n = node(id);
        KafkaRaftServer server = n.server;
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            n.server = null;
        }
    }

    /** Starts node {@code id} again on the same ports and data. */
    public void startNode(int id) {
        Node n = node(id);
        if (n.server == null) {
            startServer(n);
        }
    }

    /** Whether node {@code id} is running. */
    public boolean isRunning(int id) {
        return node(id).server != null;
    }

    /** Stops every node (in parallel: a sequential stop loses the controller quorum half-way). */
    @Override
    public void close() {
        CompletableFuture.allOf(nodes.stream()
                .map(n -> CompletableFuture.runAsync(() -> {
                    try {
                        stopNode(n.id);
                    } catch (RuntimeException e) {
                        log.warn("node {} did not stop cleanly: {}", n.id, e.toString());
                    }
                }))
                .toArray(CompletableFuture[]::new)).join();
        if (deleteOnClose) {
            Dirs.deleteQuietly(dir);
        }
    }

    private Node node(int id) {
        if (id < 1 || id > nodes.size()) {
            throw new IllegalArgumentException("no node " + id + "; nodes are 1.." + nodes.size());
        }
        return nodes.get(id - 1);
    }

    private Properties properties(Node n) {
        int count = nodes.size();
        String rf = Integer.toString(Math.min(3, count));
        String minIsr = Integer.toString(Math.min(2, count));
        Properties p = new Properties();
        p.put("node.id", Integer.toString(n.id));
        p.put("process.roles", "broker,controller");
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + n.brokerPort + ",CONTROLLER://127.0.0.1:" + n.controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + n.brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("controller.quorum.voters", nodes.stream()
                .map(o -> o.id + "@127.0.0.1:" + o.controllerPort).collect(Collectors.joining(",")));
        p.put("log.dirs", n.logDir.toString());
        p.put("offsets.topic.replication.factor", rf);
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", rf);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", rf);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("log.cleaner.dedupe.buffer.size", "2097152");
        // the log cleaner looks for work every second, not every 15: compaction shows within a test's patience
        p.put("log.cleaner.backoff.ms", "1000");
        // and retention deletes expired segments within seconds, not minutes (default: every 5 minutes)
        p.put("log.retention.check.interval.ms", "1000");
        p.putAll(overrides);
        return p;
    }

    private void format(Node n) {
        try {
            Files.createDirectories(n.logDir);
            Path file = dir.resolve("node-" + n.id + ".properties");
            try (OutputStream out = Files.newOutputStream(file)) {
                properties(n).store(out, "embedded Kafka node " + n.id);
            }
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int rc = kafka.tools.StorageTool.execute(new String[] {"format", "--cluster-id", clusterId, "--config",
                    file.toString(), "--ignore-formatted"}, new PrintStream(output, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                throw new IllegalStateException("kafka-storage format of node " + n.id + " failed (" + rc + "): "
                        + output.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare storage for node " + n.id + " in " + n.logDir, e);
        }
    }

    private void startServer(Node n) {
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(properties(n), false), Time.SYSTEM);
        server.startup();
        n.server = server;
    }

    private void awaitBrokers(int expected, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            while (System.nanoTime() < deadline) {
                try {
                    if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= expected) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for brokers", e);
                } catch (Exception e) {
                    last = e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for brokers", e);
                }
            }
        }
        throw new IllegalStateException("embedded Kafka: " + expected + " brokers not registered within " + timeout
                + (last != null ? " (last error: " + last + ")" : ""));
    }

    /**
     * Makes Kafka's fatal-error handler throw instead of exiting, so a broker fault cannot kill the JVM it
     * shares with tests or dev mode. {@code Exit} is reached by reflection because Kafka moved it between
     * versions ({@code common.utils} in 4.3, {@code common.utils.internals} in 4.4).
     */
    private static void trapExit() {
        for (String name : new String[] {"org.apache.kafka.common.utils.Exit", "org.apache.kafka.common.utils.internals.Exit"}) {
            try {
                Class<?> exit = Class.forName(name);
                Class<?> procedure = Class.forName(name + "$Procedure");
                Object trap = Proxy.newProxyInstance(procedure.getClassLoader(), new Class<?>[] {procedure}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? "caiman-exit-trap" : null;
                    }
                    throw new IllegalStateException("Kafka asked to exit with status " + args[0] + ": " + args[1]);
                });
                exit.getMethod("setExitProcedure", procedure).invoke(null, trap);
                exit.getMethod("setHaltProcedure", procedure).invoke(null, trap);
                return;
            } catch (ReflectiveOperationException e) {
                // try the next location
            }
        }
        log.warn("could not trap Kafka's Exit; a fatal broker error would end this JVM");
    }

    /** Builds an {@link EmbeddedKafka}. */
    public static final class Builder {
        private int nodes = 1;
        private Path dir;
        private int brokerPort;
        private final Map<String, String> overrides = new java.util.HashMap<>();

        public Builder nodes(int nodes) {
            if (nodes < 1) {
                throw new IllegalArgumentException("nodes must be at least 1");
            }
            this.nodes = nodes;
            return this;
        }

        /** Keep data in {@code dir} (kept on close); by default a temporary directory, deleted on close. */
        public Builder dataDir(Path dir) {
            this.dir = dir;
            return this;
        }

        /** Node 1's broker port if free (else any): dev mode prefers 9092. */
        public Builder preferredBrokerPort(int port) {
            this.brokerPort = port;
            return this;
        }

        /** A broker property for every node. */
        public Builder brokerProperty(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        public EmbeddedKafka build() {
            return new EmbeddedKafka(this);
        }
    }
}
