package io.caiman.core.kafka;

import io.caiman.error.CaimanException;
import java.util.List;

/** An existing topic differs from what the configuration says; Caiman refuses to use it rather than reshard. */
public final class TopicMismatchException extends CaimanException {

    private final String topic;
    private final List<String> differences;

    TopicMismatchException(String topic, List<String> differences) {
        super("topic " + topic + " exists but differs from the configuration:\n  - "
                + String.join("\n  - ", differences)
                + "\nCaiman never reshards or rewrites an existing topic silently: the partition count decides "
                + "which partition holds each series. Change the configuration to match the topic, or alter the "
                + "topic's configs with kafka-configs.sh --alter, or start a new cluster name and replay the oplog "
                + "into it.");
        this.topic = topic;
        this.differences = List.copyOf(differences);
    }

    public String topic() {
        return topic;
    }

    public List<String> differences() {
        return differences;
    }
}
