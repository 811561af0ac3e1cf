package io.caiman.processor.topology;

import io.caiman.schemas.codec.SingleObjectCodec;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** A Kafka serde over Caiman's single-object codec (so state and changelogs evolve like the oplog). */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

    private final SingleObjectCodec<T> codec;

    public AvroSerde(SingleObjectCodec<T> codec) {
        this.codec = codec;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> value == null ? null : codec.encode(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : codec.decode(bytes);
    }
}
