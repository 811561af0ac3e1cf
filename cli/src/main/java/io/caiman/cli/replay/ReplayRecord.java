package io.caiman.cli.replay;

import io.caiman.core.model.SeriesKey;
import io.caiman.schemas.oplog.Sample;

/**
 * One oplog record in a replay: where it is, when the oplog accepted it, and what it holds, decoded and raw.
 *
 * @param acceptedMs the record's timestamp: when the broker appended it (the oplog uses LogAppendTime)
 * @param key the decoded series key
 * @param sample the decoded value
 * @param rawKey the record key as stored, for sinks that copy records
 * @param rawValue the record value as stored
 */
public record ReplayRecord(int partition, long offset, long acceptedMs, SeriesKey key, Sample sample, byte[] rawKey,
        byte[] rawValue) {}
