package io.caiman.schemas.codec;

import io.caiman.error.CaimanException;

/** Bytes that are not a record this codec can read: wrong header, unknown schema, or a corrupt body. */
public class CodecException extends CaimanException {

    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
