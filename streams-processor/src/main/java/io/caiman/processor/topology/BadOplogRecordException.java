package io.caiman.processor.topology;

import io.caiman.error.CaimanException;

/** An oplog record a processor cannot read, with where it is (topic, partition, offset). */
public final class BadOplogRecordException extends CaimanException {

    public BadOplogRecordException(String where, Throwable cause) {
        super("cannot read the oplog record at " + where + ": " + cause.getMessage()
                + " (processor.on_bad_record is fail; set it to skip to log, count and go past such records)", cause);
    }
}
