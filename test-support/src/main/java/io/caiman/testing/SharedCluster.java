package io.caiman.testing;

import io.caiman.embedded.EmbeddedKafka;
import io.caiman.embedded.EmbeddedZooKeeper;

/**
 * One real Kafka broker and one real ZooKeeper server per test JVM, started on first use and closed when
 * the JVM exits. Tests must not stop them; a test that needs to break a cluster starts its own.
 * Each test uses its own cluster name (topic prefix), so tests never see each other's records.
 */
public final class SharedCluster {

    private static EmbeddedKafka kafka;
    private static EmbeddedZooKeeper zookeeper;

    private SharedCluster() {}

    public static synchronized EmbeddedKafka kafka() {
        if (kafka == null) {
            kafka = EmbeddedKafka.builder().nodes(1).build().start();
            Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "caiman-test-kafka-close"));
        }
        return kafka;
    }

    public static synchronized EmbeddedZooKeeper zookeeper() {
        if (zookeeper == null) {
            zookeeper = EmbeddedZooKeeper.start(1, null, 0);
            Runtime.getRuntime().addShutdownHook(new Thread(zookeeper::close, "caiman-test-zookeeper-close"));
        }
        return zookeeper;
    }
}
