package io.caiman.core.lifecycle;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The state of anything that starts and stops, shared by Caiman's services:
 *
 * <pre>
 * CREATED ──start()──► STARTING ──► RUNNING ──close()──► CLOSING ──► CLOSED
 *                          └────────────close()───────────┘
 * </pre>
 *
 * A second {@code start()} is refused naming both states; {@code close()} is idempotent: only the first
 * call gets to close.
 */
public final class Lifecycle {

    public enum State { CREATED, STARTING, RUNNING, CLOSING, CLOSED }

    private final String name;
    private final AtomicReference<State> state = new AtomicReference<>(State.CREATED);

    /** @param name the service, for messages */
    public Lifecycle(String name) {
        this.name = name;
    }

    /** @throws IllegalStateException if already started or closed */
    public void starting() {
        transition(State.CREATED, State.STARTING);
    }

    /** @throws IllegalStateException if not starting (e.g. closed while starting) */
    public void running() {
        transition(State.STARTING, State.RUNNING);
    }

    /** @return true for the one call that should do the closing */
    public boolean closing() {
        while (true) {
            State s = state.get();
            if (s == State.CLOSING || s == State.CLOSED) {
                return false;
            }
            if (state.compareAndSet(s, State.CLOSING)) {
                return true;
            }
        }
    }

    public void closed() {
        state.set(State.CLOSED);
    }

    public State state() {
        return state.get();
    }

    public boolean isRunning() {
        return state.get() == State.RUNNING;
    }

    private void transition(State from, State to) {
        if (!state.compareAndSet(from, to)) {
            throw new IllegalStateException(name + " cannot go from " + state.get() + " to " + to + " (only from " + from + ")");
        }
    }
}
