package io.caiman.coordinator;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Named steps of a crawl where a fault test can stop a crawler to kill it there. A crawler started with
 * {@code -Dcaiman.crawler.pause_at=<step>} prints {@code CAIMAN PAUSED AT <step>} on stdout the first time it
 * reaches that step and then blocks the thread forever, so the test can {@code kill -9} it exactly there.
 * Unset (always, outside tests), {@link #reach} is one map lookup.
 */
public final class FaultPoints {

    /** After a lease's ZooKeeper lock is taken, before its producer fences the previous holder. */
    public static final String LEASE_ACQUIRED = "lease-acquired";
    /** Just before a crawl's HTTP request is sent. */
    public static final String BEFORE_REQUEST = "before-request";
    /** A transaction holds a group's crawl samples and ledger entries, not yet committed. */
    public static final String BEFORE_COMMIT = "before-commit";
    /** A transaction holds a triggered crawl's samples and its done entry, not yet committed. */
    public static final String TRIGGERED_BEFORE_COMMIT = "triggered-before-commit";
    /** The transaction committed; the crawler has not yet noted it or released anything. */
    public static final String AFTER_COMMIT = "after-commit";

    private static final String PAUSE_AT = System.getProperty("caiman.crawler.pause_at", "");
    private static final Set<String> REACHED = ConcurrentHashMap.newKeySet();

    private FaultPoints() {}

    /** Marks {@code step} reached; blocks forever if this is the step to pause at, the first time only. */
    public static void reach(String step) {
        if (PAUSE_AT.isEmpty() || !PAUSE_AT.equals(step) || !REACHED.add(step)) {
            return;
        }
        System.out.println("CAIMAN PAUSED AT " + step);
        System.out.flush();
        try {
            new java.util.concurrent.CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
