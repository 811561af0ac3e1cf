package io.caiman.processor;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.error.CaimanException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a cluster's aggregate state from the oplog from a point on, as Kafka's streams application reset
 * tool does, refusing while a processor runs:
 *
 * <ol>
 *   <li>the processors' group ({@code <cluster>-processor}) must have no live member; the refusal names each;
 *   <li>the group's offsets on every oplog partition move to the first record accepted at or after the start
 *       (the end when there is none), so processing resumes there; Kafka itself refuses this for a group
 *       that gained a member meanwhile;
 *   <li>the application's internal topics (its state changelogs and repartition topics) are deleted, so no
 *       processor restores the old state from them; Streams creates them again, empty, on start;
 *   <li>each host's local copy of the state is removed with {@code KafkaStreams.cleanUp()} (the calling
 *       processor does its own; another host's copy, restored from a changelog that no longer exists, is
 *       found out of range and rebuilt by Streams).
 * </ol>
 *
 * Afterwards the processors compute from the new start exactly what a fresh processor would over the same
 * records.
 */
public final class ProcessorReset {

    private static final Logger log = LoggerFactory.getLogger(ProcessorReset.class);
    private static final long TIMEOUT_SECONDS = 30;

    /**
     * What a reset did.
     *
     * @param offsets where each oplog partition resumes
     * @param deletedTopics the internal topics deleted
     */
    public record Result(Map<TopicPartition, Long> offsets, List<String> deletedTopics) {}

    private ProcessorReset() {}

    /** Steps 1 to 3: the group's offsets and internal topics (the local state is the caller's). */
    static Result resetGroup(CaimanConfig config, ClusterConfig cluster, OffsetSpec start) {
        String group = cluster.processorApplicationId();
        try (Admin admin = KafkaClients.newAdmin(config, cluster, "caiman-processor-reset")) {
            refuseIfLive(admin, group);
            String topic = cluster.oplogTopic();
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(topic).partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, Long> offsets = new TreeMap<>(java.util.Comparator.comparingInt(TopicPartition::partition));
            Map<TopicPartition, ListOffsetsResultInfo> at = list(admin, partitions, start);
            Map<TopicPartition, ListOffsetsResultInfo> end = list(admin, partitions, OffsetSpec.latest());
            for (TopicPartition tp : partitions) {
                long offset = at.get(tp).offset();
                offsets.put(tp, offset < 0 ? end.get(tp).offset() : offset);
            }
            Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
            offsets.forEach((tp, o) -> commit.put(tp, new OffsetAndMetadata(o, "caiman processor reset")));
            admin.alterConsumerGroupOffsets(group, commit).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<String> internal = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(group + "-") && (t.endsWith("-changelog") || t.endsWith("-repartition")))
                    .sorted().toList();
            if (!internal.isEmpty()) {
                admin.deleteTopics(internal).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                awaitDeleted(admin, internal);
            }
            log.info("reset processors of {}: offsets {}, deleted {}", cluster.name(), offsets, internal);
            return new Result(offsets, internal);
        } catch (ExecutionException e) {
            throw new CaimanException("cannot reset the processors of cluster " + cluster.name() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new CaimanException("cannot reset the processors of cluster " + cluster.name() + ": Kafka at "
                    + cluster.connectString() + " did not answer within " + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaimanException("interrupted while resetting the processors of cluster " + cluster.name(), e);
        }
    }

    private static void refuseIfLive(Admin admin, String group) throws InterruptedException, ExecutionException,
            TimeoutException {
        ConsumerGroupDescription description;
        try {
            description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return;
            }
            throw e;
        }
        if (!description.members().isEmpty()) {
            String members = description.members().stream().map(ProcessorReset::describe).collect(Collectors.joining(", "));
            throw new CaimanException("refusing to reset: the processor group " + group + " has "
                    + description.members().size() + " live member" + (description.members().size() == 1 ? "" : "s")
                    + " (" + members + "); stop every processor of this cluster first");
        }
    }

    private static String describe(MemberDescription m) {
        return m.clientId() + " on " + m.host().replaceFirst("^/", "");
    }

    private static Map<TopicPartition, ListOffsetsResultInfo> list(Admin admin, List<TopicPartition> partitions,
            OffsetSpec spec) throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetSpec> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, spec));
        return admin.listOffsets(query, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static void awaitDeleted(Admin admin, List<String> topics) throws InterruptedException, ExecutionException,
            TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            Set<String> names = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (topics.stream().noneMatch(names::contains)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("topics " + topics + " still exist");
            }
            Thread.sleep(100);
        }
    }
}
