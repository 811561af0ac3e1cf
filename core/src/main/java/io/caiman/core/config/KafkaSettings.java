package io.caiman.core.config;

import java.util.Map;

/** Kafka client properties from the {@code kafka} block, per kind of client. */
public record KafkaSettings(
        Map<String, String> client,
        Map<String, String> producer,
        Map<String, String> consumer,
        Map<String, String> streams,
        Map<String, String> admin) {}
