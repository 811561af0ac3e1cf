package io.caiman.coordinator.crawl;

import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * One lease group this crawler holds: its ZooKeeper lock, the transactional producer that fenced the previous
 * holder, what the ledger says is done, and the crawls under way.
 *
 * <p>Threads: the lease thread owns the lock (Curator's mutex must be released by the thread that took it), the
 * state transitions it starts and {@link #queue}; the commit thread owns {@link #producer}; crawl completions
 * add to {@link #finished} from the HTTP client's threads.
 */
final class Lease {

    enum State {
        /** The lock is held; the producer is fencing the previous holder and the ledger is being read. */
        LOADING,
        /** The ledger was read; the lease thread has yet to plan the first slots. */
        LOADED,
        /** Crawling and committing. */
        ACTIVE,
        /** Giving the lease back: no new crawls; released once what is under way is committed. */
        RELEASING,
        /** The lock or the producer can no longer be trusted: nothing more is committed; released at once. */
        LOST
    }

    /** A target's next slot to crawl and when it is due. */
    record Due(CrawlTarget target, long slot, long dueMs) {}

    final int group;
    /** The group's targets; replaced by the lease thread when file_sd files change. */
    volatile List<CrawlTarget> targets;
    final InterProcessMutex mutex;
    final long acquiredNanos = System.nanoTime();
    volatile State state = State.LOADING;
    volatile String lostBecause;
    volatile KafkaProducer<byte[], byte[]> producer;
    /** Target id to the start (ms) of the last slot the ledger (or this holder's commits) records as done. */
    final Map<String, Long> done = new ConcurrentHashMap<>();
    final PriorityQueue<Due> queue = new PriorityQueue<>((a, b) -> Long.compare(a.dueMs(), b.dueMs()));
    final AtomicInteger inflight = new AtomicInteger();
    final ConcurrentLinkedQueue<CrawlResult> finished = new ConcurrentLinkedQueue<>();
    /** The triggered crawls of this group the ledger and this holder know, by id. */
    final Map<String, Trigger> triggers = new ConcurrentHashMap<>();
    /** Triggered crawls asked for, whose accepted entry the next commit writes. */
    final ConcurrentLinkedQueue<Trigger> toAccept = new ConcurrentLinkedQueue<>();
    /** Accepted triggered crawls waiting for a crawl permit. */
    final ConcurrentLinkedQueue<Trigger> runnable = new ConcurrentLinkedQueue<>();
    /** Triggered crawls whose result the next commit writes. */
    final ConcurrentLinkedQueue<Trigger> crawled = new ConcurrentLinkedQueue<>();
    /** Ids of triggered crawls done longer ago than they are kept: the next commit deletes them from the ledger. */
    final ConcurrentLinkedQueue<String> expired = new ConcurrentLinkedQueue<>();
    volatile boolean committing;
    /** Set by the lease thread when it lets go; a producer created after that closes itself. */
    volatile boolean released;

    Lease(int group, List<CrawlTarget> targets, InterProcessMutex mutex) {
        this.group = group;
        this.targets = targets;
        this.mutex = mutex;
    }

    void lose(String why) {
        if (state != State.LOST) {
            lostBecause = why;
            state = State.LOST;
        }
    }

    /** Whether a commit has anything to write. */
    boolean hasWork() {
        return !finished.isEmpty() || !toAccept.isEmpty() || !crawled.isEmpty() || !expired.isEmpty();
    }

    /** Nothing of this lease is under way or waiting to be committed (accepted triggered crawls are durable). */
    boolean idle() {
        return inflight.get() == 0 && finished.isEmpty() && toAccept.isEmpty() && crawled.isEmpty() && !committing;
    }
}
