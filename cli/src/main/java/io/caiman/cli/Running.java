package io.caiman.cli;

import java.util.concurrent.CountDownLatch;

/** Keeps a long-running command alive until SIGTERM or Ctrl-C, then closes what it started, in order. */
final class Running {

    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    /** Registers the shutdown hook that runs {@code closeAll} once. */
    Running(Runnable closeAll) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            try {
                closeAll.run();
            } finally {
                closed.countDown();
            }
        }, "caiman-shutdown"));
    }

    /** Blocks until a signal asks the process to stop. */
    void await() throws InterruptedException {
        stopped.await();
        closed.await();
    }
}
