package io.caiman.core.lifecycle;

import java.util.concurrent.ForkJoinPool;

/**
 * Keeps CompletableFuture's default executor a pool. The JDK's HttpClient completes every {@code sendAsync} on that
 * executor (the common ForkJoinPool). On a machine with fewer than three cores the common pool's parallelism is 1,
 * and CompletableFuture then starts a new thread for every task instead of using the pool: a crawler on two cores
 * started 7,400 threads a minute at 330 crawls a second (Java Flight Recorder, bench/RESULTS.md).
 */
public final class CommonPool {

    static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    private CommonPool() {}

    /**
     * Gives the common pool at least two threads unless {@code -D}{@value #PARALLELISM} says otherwise. Call it first
     * thing in {@code main}: the pool reads the property once, when it is first used.
     *
     * @return whether the common pool has at least two threads now
     */
    public static boolean atLeastTwoThreads() {
        if (System.getProperty(PARALLELISM) == null) {
            System.setProperty(PARALLELISM, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
        }
        return ForkJoinPool.getCommonPoolParallelism() >= 2;
    }
}
