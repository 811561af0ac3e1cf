package io.caiman.cli.replay;

import io.caiman.core.model.SeriesKey;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;

/**
 * One oplog record in a replay: where it is, when the oplog accepted it, and what it holds, decoded and raw. The
 * key and value are decoded when a sink first asks for them: sinks that copy records ({@link ReplaySink#decodes()}
 * false) never pay for it. The replay has checked both already, so decoding them does not fail.
 */
public final class ReplayRecord {

    private final int partition;
    private final long offset;
    private final long acceptedMs;
    private SeriesKey key;
    private final byte[] rawKey;
    private final byte[] rawValue;
    private Sample sample;

    /**
     * @param acceptedMs the record's timestamp: when the broker appended it (the oplog uses LogAppendTime)
     * @param key the decoded series key, or {@code null} to parse it from {@code rawKey} when asked
     * @param sample the decoded value, or {@code null} to decode it from {@code rawValue} when asked
     * @param rawKey the record key as stored, for sinks that copy records
     * @param rawValue the record value as stored
     */
    public ReplayRecord(int partition, long offset, long acceptedMs, SeriesKey key, Sample sample, byte[] rawKey,
            byte[] rawValue) {
        this.partition = partition;
        this.offset = offset;
        this.acceptedMs = acceptedMs;
        this.key = key;
        this.sample = sample;
        this.rawKey = rawKey;
        this.rawValue = rawValue;
    }

    public int partition() {
        return partition;
    }

    public long offset() {
        return offset;
    }

    public long acceptedMs() {
        return acceptedMs;
    }

    /** The decoded series key. */
    public SeriesKey key() {
        if (key == null) {
            key = SeriesKey.parse(rawKey);
        }
        return key;
    }

    /** The decoded value. */
    public Sample sample() {
        if (sample == null) {
            sample = Codecs.SAMPLE.decode(rawValue);
        }
        return sample;
    }

    public byte[] rawKey() {
        return rawKey;
    }

    public byte[] rawValue() {
        return rawValue;
    }
}
