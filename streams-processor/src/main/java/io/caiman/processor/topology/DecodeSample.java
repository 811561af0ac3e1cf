package io.caiman.processor.topology;

import io.caiman.schemas.codec.CodecException;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;
import io.micrometer.core.instrument.Counter;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes oplog values. An unreadable record either fails the processor (the default: nothing is silently
 * lost) or, when skipping is configured, is logged with its topic, partition and offset, counted, and
 * dropped.
 */
final class DecodeSample implements FixedKeyProcessor<byte[], byte[], Sample> {

    private static final Logger log = LoggerFactory.getLogger(DecodeSample.class);

    private final boolean skipBadRecords;
    private final Counter badRecords;
    private FixedKeyProcessorContext<byte[], Sample> context;

    DecodeSample(boolean skipBadRecords, Counter badRecords) {
        this.skipBadRecords = skipBadRecords;
        this.badRecords = badRecords;
    }

    @Override
    public void init(FixedKeyProcessorContext<byte[], Sample> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<byte[], byte[]> record) {
        if (record.key() == null || record.key().length == 0) {
            bad(new BadOplogRecordException(where(), "it has no key (the gateway keys every sample by its series key)"));
            return;
        }
        Sample sample;
        try {
            sample = Codecs.SAMPLE.decode(record.value());
        } catch (CodecException e) {
            bad(new BadOplogRecordException(where(), e));
            return;
        }
        context.forward(record.withValue(sample));
    }

    /** Fails the processor with {@code e}, or, when skipping is configured, logs and counts it. */
    private void bad(BadOplogRecordException e) {
        if (!skipBadRecords) {
            throw e;
        }
        badRecords.increment();
        log.warn("processor skipped the unreadable oplog record at {}", e.detail());
    }

    private String where() {
        return context.recordMetadata().map(DecodeSample::where).orElse("an unknown position");
    }

    private static String where(RecordMetadata m) {
        return m.topic() + " partition " + m.partition() + " offset " + m.offset();
    }
}
