package io.caiman.error;

/**
 * The root of Caiman's exceptions. Unchecked: a caller handles what it can act on and lets the rest
 * reach the process boundary, where it is reported. Subclasses carry the context a person needs to
 * find the data (topic, partition, offset, config key, lock path).
 *
 * <p>It lives in the lowest module so every module can extend it.
 */
public class CaimanException extends RuntimeException {

    public CaimanException(String message) {
        super(message);
    }

    public CaimanException(String message, Throwable cause) {
        super(message, cause);
    }
}
