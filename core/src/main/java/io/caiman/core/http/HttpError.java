package io.caiman.core.http;

import io.caiman.error.CaimanException;

/** A request that must be answered with {@link #status()} and this message (413 too large, 415 bad encoding, …). */
public final class HttpError extends CaimanException {

    private final int status;

    public HttpError(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
