package io.caiman.schemas.codec;

/**
 * A single-object-encoded record whose schema fingerprint is neither the current schema nor any stored
 * version of it: written by a newer Caiman, or by something else entirely.
 */
public final class UnknownSchemaException extends CodecException {

    private final long fingerprint;

    UnknownSchemaException(String recordName, long fingerprint, Throwable cause) {
        super(String.format(
                "record has schema fingerprint %016x, which is not %s or any stored version of it; "
                        + "it was written with a schema this Caiman does not know (a newer version, or not a Caiman record)",
                fingerprint, recordName), cause);
        this.fingerprint = fingerprint;
    }

    /** The CRC-64-AVRO fingerprint found in the record's header. */
    public long fingerprint() {
        return fingerprint;
    }
}
