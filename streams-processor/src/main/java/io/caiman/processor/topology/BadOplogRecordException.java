package io.caiman.processor.topology;

import io.caiman.error.CaimanException;

/** An oplog record a processor cannot read, with where it is (topic, partition, offset). */
public final class BadOplogRecordException extends CaimanException {

    private final String detail;

    public BadOplogRecordException(String where, Throwable cause) {
        this(where, cause.getMessage(), cause);
    }

    public BadOplogRecordException(String where, String reason) {
        this(where, reason, null);
    }

    private BadOplogRecordException(String where, String reason, Throwable cause) {
        super("cannot read the oplog record at " + where + ": " + reason
                + " (processor.on_bad_record is fail; set it to skip to log, count and go past such records)", cause);
        this.detail = where + ": " + reason;
    }

    /** Where the record is and what is wrong with it. */
    public String detail() {
        return detail;
    }
}
