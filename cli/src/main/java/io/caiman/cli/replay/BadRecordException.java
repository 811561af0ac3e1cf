package io.caiman.cli.replay;

import io.caiman.error.CaimanException;

/** An oplog record a replay cannot read, with where it is. */
public final class BadRecordException extends CaimanException {

    private static final long serialVersionUID = 1L;

    public BadRecordException(String topic, int partition, long offset, String reason, Throwable cause) {
        super(topic + " partition " + partition + " offset " + offset + ": unreadable record: " + reason, cause);
    }
}
