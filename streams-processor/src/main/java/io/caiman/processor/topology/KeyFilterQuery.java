package io.caiman.processor.topology;

import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.query.Query;

/**
 * An interactive query (Streams' {@code KafkaStreams#query}) for the entries of a {@link HashKeyValueStore} whose key
 * bytes pass {@code keys}, as bytes: values are not decoded in the store, so a caller decodes only the entries it
 * wants. Streams' range queries decode every value they pass over, and a hash map has no order to read a range of;
 * this reads the map once, checking each key's bytes. {@code keys} runs while the store is locked against the stream
 * thread, so it must be cheap: a look at a few bytes, not a parse.
 */
public record KeyFilterQuery(Predicate<byte[]> keys) implements Query<List<KeyValue<byte[], byte[]>>> {}
