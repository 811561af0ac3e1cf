package io.caiman.cli.replay;

import java.io.IOException;

/**
 * Where a replay writes. Records arrive in oplog order per partition. {@link #flush} returns only when every
 * record written so far has been delivered (written to the file, acknowledged by the server or the broker),
 * so a checkpoint taken after it never covers a record the sink may lose.
 */
public interface ReplaySink extends AutoCloseable {

    /**
     * Takes one record.
     *
     * @return whether the sink could express the record; a sink that carries values only (text, remote_write)
     *     refuses StatsD increments, gauge deltas and set members, and the replay counts and reports those
     */
    boolean write(ReplayRecord record) throws IOException;

    /**
     * Whether the sink reads {@link ReplayRecord#key()} and {@link ReplayRecord#sample()}. A sink that copies records
     * as they are says no, and the replay then checks each key's and value's structure instead of building them.
     */
    default boolean decodes() {
        return true;
    }

    /** Delivers everything written so far, or throws saying why it could not. */
    void flush() throws IOException;

    /** What the sink is, for messages and for checking that a checkpoint belongs to the same replay. */
    String describe();

    /** Checks that the sink can be reached before anything is read: a replay fails fast, saying which end. */
    default void check() throws IOException {}

    /**
     * The bytes the sink has delivered, for sinks that write a file: a resumed replay truncates the file to
     * the size its checkpoint recorded, so a record written after the last checkpoint is not written twice.
     * -1 for other sinks.
     */
    default long deliveredBytes() {
        return -1;
    }

    @Override
    void close() throws IOException;
}
