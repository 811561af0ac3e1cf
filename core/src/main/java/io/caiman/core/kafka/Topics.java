package io.caiman.core.kafka;

import io.caiman.error.CaimanException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates Caiman's topics at start-up, or checks that existing ones match the configuration. */
public final class Topics {

    private static final Logger log = LoggerFactory.getLogger(Topics.class);
    private static final long TIMEOUT_SECONDS = 30;

    private Topics() {}

    /**
     * Creates the topic if it is missing; otherwise checks partitions, replication factor and every config in
     * the spec.
     *
     * @return true if this call created the topic
     * @throws TopicMismatchException naming every difference, if the existing topic differs
     * @throws CaimanException if Kafka cannot be reached or refuses the creation, with its reason
     */
    public static boolean ensure(Admin admin, TopicSpec spec) {
        if (spec.caution() != null) {
            log.warn("topic {}: {}", spec.name(), spec.caution());
        }
        try {
            if (describe(admin, spec.name()) == null) {
                try {
                    NewTopic topic = new NewTopic(spec.name(), spec.partitions(), spec.replicationFactor())
                            .configs(spec.configs());
                    admin.createTopics(List.of(topic)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    awaitVisible(admin, spec.name());
                    log.info("created topic {} with {} partitions, replication factor {}, {}", spec.name(),
                            spec.partitions(), spec.replicationFactor(), spec.configs());
                    return true;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    // another process created it at the same moment: once every broker knows it, check it like
                    // any existing topic
                    awaitVisible(admin, spec.name());
                }
            }
            verify(admin, spec);
            return false;
        } catch (ExecutionException e) {
            throw new CaimanException("cannot create or check topic " + spec.name() + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new CaimanException("cannot create or check topic " + spec.name() + ": Kafka did not answer within "
                    + TIMEOUT_SECONDS + " s (are the bootstrap servers right and up?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaimanException("interrupted while creating or checking topic " + spec.name(), e);
        }
    }

    /**
     * Waits until a topic just created elsewhere (a replay's target) is served by every partition's leader, as
     * {@link #ensure} does for the topics it creates, before anything is produced to it.
     *
     * @throws CaimanException if it is not within 30 s, or cannot be described
     */
    public static void awaitServed(Admin admin, String name) {
        try {
            awaitVisible(admin, name);
        } catch (TimeoutException e) {
            throw new CaimanException("topic " + name + " is not served by its leaders after " + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaimanException("interrupted while waiting for topic " + name, e);
        }
    }

    /**
     * Waits until a topic just created can be described with every partition led, and every leader serves its
     * partition: creation is acknowledged by the controller before every broker's metadata has it, and callers
     * use the topic at once.
     *
     * <p>The second wait matters to every idempotent producer of Caiman. A broker's metadata names a new
     * partition's leader a moment before that leader hosts the partition. A producer that sends two requests
     * to it then may see the first refused (retriably, not the leader) and the second written; before Kafka 4.5
     * (KAFKA-15591) the broker takes that second request as the producer's first on the partition, refuses every
     * retry of the first as out of order, and the first request's records expire after the delivery timeout.
     * A gateway answers such a request 503, so nothing acknowledged is lost, but its first requests to a new
     * oplog would hang until then. A partition's offsets are served by the leader that hosts it, so once they
     * can be listed for every partition, producing to them is safe.
     */
    private static void awaitVisible(Admin admin, String name) throws InterruptedException, TimeoutException {
        int partitions = awaitLed(admin, name).partitions().size();
        Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(name, p), OffsetSpec.latest());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            try {
                // the admin client retries a partition whose leader does not host it yet, within its own timeout
                admin.listOffsets(latest).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)
                        || System.nanoTime() > deadline) {
                    throw new CaimanException("topic " + name + " was created but its partitions are not served: "
                            + e.getCause().getMessage(), e.getCause());
                }
            }
            Thread.sleep(50);
        }
    }

    /** Waits until a topic just created can be described with every partition led, and gives its description. */
    private static TopicDescription awaitLed(Admin admin, String name) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            try {
                TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames()
                        .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(name);
                if (d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return d;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                    throw new CaimanException("topic " + name + " was created but cannot be described: "
                            + e.getCause().getMessage(), e.getCause());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("topic " + name + " was created but is not visible after " + TIMEOUT_SECONDS + " s");
            }
            Thread.sleep(50);
        }
    }

    private static TopicDescription describe(Admin admin, String name)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return admin.describeTopics(Set.of(name)).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(name);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return null;
            }
            throw e;
        }
    }

    private static void verify(Admin admin, TopicSpec spec) throws InterruptedException, ExecutionException, TimeoutException {
        TopicDescription topic = describe(admin, spec.name());
        List<String> differences = new ArrayList<>();
        if (topic.partitions().size() != spec.partitions()) {
            differences.add(String.format("partitions: the topic has %d, the configuration says %d",
                    topic.partitions().size(), spec.partitions()));
        }
        int rf = topic.partitions().get(0).replicas().size();
        if (rf != spec.replicationFactor()) {
            differences.add(String.format("replication factor: the topic has %d, the configuration says %d (replica_factor)",
                    rf, spec.replicationFactor()));
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
        Config actual = admin.describeConfigs(Set.of(resource)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(resource);
        for (Map.Entry<String, String> wanted : new java.util.TreeMap<>(spec.configs()).entrySet()) {
            String value = actual.get(wanted.getKey()) == null ? null : actual.get(wanted.getKey()).value();
            if (!wanted.getValue().equals(value)) {
                differences.add(String.format("%s: the topic has %s, the configuration says %s", wanted.getKey(),
                        value, wanted.getValue()));
            }
        }
        if (!differences.isEmpty()) {
            throw new TopicMismatchException(spec.name(), differences);
        }
    }
}
