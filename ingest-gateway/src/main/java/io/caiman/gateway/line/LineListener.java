package io.caiman.gateway.line;

/** A started listener of a {@code tcp} or {@code udp} entrypoint. */
public interface LineListener extends AutoCloseable {

    /** Binds and starts taking lines. */
    void start();

    /** The bound port. */
    int port();

    @Override
    void close();
}
