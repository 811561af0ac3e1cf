package io.caiman.embedded;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real ZooKeeper, started in this JVM: one server or an ensemble, every socket on 127.0.0.1 (curator-test's
 * defaults bind the client port on every interface, so the specs set {@code clientPortAddress}).
 *
 * <pre>{@code
 * try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(3, null, 0)) {
 *     String connect = zk.connectString();
 *     zk.stopNode(1);
 *     zk.startNode(1);
 * }
 * }</pre>
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

    private final TestingServer single;
    private final TestingCluster ensemble;
    private final List<InstanceSpec> specs;
    private final Path dir;
    private final boolean deleteOnClose;

    private EmbeddedZooKeeper(TestingServer single, TestingCluster ensemble, List<InstanceSpec> specs, Path dir,
            boolean deleteOnClose) {
        this.single = single;
        this.ensemble = ensemble;
        this.specs = specs;
        this.dir = dir;
        this.deleteOnClose = deleteOnClose;
    }

    /**
     * Starts {@code nodes} servers.
     *
     * @param dir data directory (kept), or {@code null} for a temporary one deleted on close
     * @param preferredPort the client port of a single server if free (dev mode prefers 2181), or 0
     * @throws IllegalStateException if ZooKeeper does not start, with the reason
     */
    public static EmbeddedZooKeeper start(int nodes, Path dir, int preferredPort) {
        Path root = dir != null ? dir : Dirs.temp("caiman-zookeeper-");
        long t0 = System.nanoTime();
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            try {
                java.nio.file.Files.createDirectories(root.resolve("zk-" + i));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot create ZooKeeper data directory under " + root, e);
            }
            int port = nodes == 1 ? Ports.preferred(preferredPort) : Ports.free();
            // tickTime 500 ms: sessions from 1 s (2 ticks) to 10 s (20 ticks), so tests can use short session
            // timeouts and crawl intervals; ZooKeeper's default of 3 s would clamp every session to 6 s or more
            specs.add(new InstanceSpec(root.resolve("zk-" + i).toFile(), port, Ports.free(), Ports.free(), false, i, 500, -1,
                    Map.of("clientPortAddress", "127.0.0.1", "admin.enableServer", "false",
                            "4lw.commands.whitelist", "srvr,ruok,mntr", "maxCnxns", "1000"), "127.0.0.1"));
        }
        try {
            EmbeddedZooKeeper zk;
            if (nodes == 1) {
                zk = new EmbeddedZooKeeper(new TestingServer(specs.get(0), true), null, specs, root, dir == null);
            } else {
                TestingCluster cluster = new TestingCluster(specs);
                cluster.start();
                zk = new EmbeddedZooKeeper(null, cluster, specs, root, dir == null);
            }
            log.info("embedded ZooKeeper with {} node(s) up at {} in {} ms", nodes, zk.connectString(),
                    (System.nanoTime() - t0) / 1_000_000);
            return zk;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("embedded ZooKeeper did not start: " + e, e);
        }
    }

    /** The client connect string, e.g. {@code 127.0.0.1:2181}. */
    public String connectString() {
        return single != null ? single.getConnectString() : ensemble.getConnectString();
    }

    public int size() {
        return specs.size();
    }

    /** Stops server {@code id} (1-based), keeping its data. */
    public void stopNode(int id) {
        try {
            if (single != null) {
                single.stop();
            } else {
                ensemble.killServer(spec(id));
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop ZooKeeper node " + id + ": " + e, e);
        }
    }

    /** Starts server {@code id} again on the same ports and data. */
    public void startNode(int id) {
        try {
            if (single != null) {
                single.restart();
            } else {
                ensemble.restartServer(spec(id));
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot restart ZooKeeper node " + id + ": " + e, e);
        }
    }

    private InstanceSpec spec(int id) {
        if (id < 1 || id > specs.size()) {
            throw new IllegalArgumentException("no node " + id + "; nodes are 1.." + specs.size());
        }
        return specs.get(id - 1);
    }

    @Override
    public void close() {
        try {
            if (single != null) {
                single.close();
            } else {
                ensemble.close();
            }
        } catch (IOException e) {
            log.warn("ZooKeeper did not close cleanly: {}", e.toString());
        }
        if (deleteOnClose) {
            Dirs.deleteQuietly(dir);
        }
    }
}
