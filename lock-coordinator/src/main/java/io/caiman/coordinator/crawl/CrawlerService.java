package io.caiman.coordinator.crawl;

import io.caiman.coordinator.CuratorClients;
import io.caiman.coordinator.FaultPoints;
import io.caiman.coordinator.Membership;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.CrawlerSettings;
import io.caiman.core.config.HostPort;
import io.caiman.core.http.HttpError;
import io.caiman.core.http.HttpExchange;
import io.caiman.core.http.HttpService;
import io.caiman.core.http.Readiness;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.core.lifecycle.Lifecycle;
import io.caiman.core.metrics.Registries;
import io.caiman.core.wire.Json;
import io.caiman.error.CaimanException;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.crawl.CrawlOutcome;
import io.caiman.schemas.crawl.LedgerEntry;
import io.caiman.schemas.crawl.TriggeredCrawl;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A crawler of one sharedlock cluster: it shares the cluster's targets with every other crawler of that cluster
 * and crawls each (target, interval slot) exactly once, whichever of them dies at whichever step.
 *
 * <p>How (docs/crawlers.md has the whole argument):
 * <ul>
 *   <li>Targets are hashed into {@code crawler.lease_groups} groups. A crawler holds a group as a lease: a Curator
 *       {@link InterProcessMutex} on {@code /leases/<group>}, taken with a timeout and kept while the crawler
 *       lives, so ZooKeeper is written only when leases move. Crawlers take about an equal share each
 *       (the members under {@code /members} say how many there are), and a group nobody holds is taken by
 *       whoever sees it first once it has been free for two seconds.
 *   <li>A new holder first opens the group's transactional producer ({@code <cluster>-crawler-<group>}):
 *       {@code initTransactions} fences the previous holder's producer, aborting its open transaction, so
 *       nothing it still sends can ever be committed. Only then does it read the group's partition of the crawl
 *       ledger to its end and learn which slots are done.
 *   <li>Each due slot of each target is crawled once by the holder. Every {@code commit_interval}, the finished
 *       crawls of a group go to the oplog together with their ledger entries in one Kafka transaction. A slot is
 *       done exactly when that transaction commits.
 *   <li>On ZooKeeper SUSPENDED or LOST every lease is treated as lost: nothing more is committed under it and
 *       it is released; the work is redone by the next holder if its slot has not passed, else reported missed.
 * </ul>
 */
public final class CrawlerService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CrawlerService.class);
    static final String LEASES = "/leases";
    private static final long TICK_MS = 100;
    private static final long ORPHAN_GRACE_MS = 2_000;
    /** How long a done triggered crawl stays in the ledger (and answers GET /api/v1/crawls/{id}). */
    static final Duration TRIGGER_RETENTION = Duration.ofHours(24);
    /** How long a POST waits for its crawl to be accepted (committed) before it answers 503. */
    private static final long ACCEPT_WAIT_MS = 10_000;
    /** Set on a request one crawler forwards to the holder of the crawl's lease group; it is never forwarded again. */
    static final String FORWARDED_BY = "X-Caiman-Forwarded-By";

    private final CaimanConfig config;
    private final CrawlerSettings settings;
    private final ClusterConfig cluster;
    private final ClusterConfig oplog;
    /** The targets by lease group (every group, with or without targets); replaced when file_sd files change. */
    private volatile Map<Integer, List<CrawlTarget>> groups;
    private volatile List<CrawlTarget> targets;
    private final List<CrawlTarget> configuredTargets;
    private final FileSd fileSd;
    private final Lifecycle lifecycle = new Lifecycle("crawler");
    private final PrometheusMeterRegistry registry = Registries.newRegistry();
    private final Map<Integer, Lease> held = new ConcurrentHashMap<>();
    private final Map<Integer, Long> orphanSince = new HashMap<>();
    /** Groups this crawler handed back, and when: it leaves them to its peers for a while. */
    private final Map<Integer, Long> handedBack = new HashMap<>();
    private final Semaphore crawlPermits;
    private final OplogRecords records;
    /** Idle readers of the crawl ledger, for the loader threads. */
    private final java.util.concurrent.ConcurrentLinkedQueue<KafkaConsumer<byte[], byte[]>> ledgerReaders =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final long startedNanos = System.nanoTime();

    private final Counter crawlsSucceeded;
    private final Counter crawlsFailed;
    private final Counter slotsSkipped;
    private final Counter slotsMissed;
    private final Counter transactionsCommitted;
    private final Counter transactionsAborted;
    private final Counter leasesLost;
    private final Counter zookeeperWrites;
    private final Counter fileSdProblems;
    private final Counter triggersAccepted;
    private final Counter triggersSucceeded;
    private final Counter triggersFailed;
    private final Timer lockWait;
    private final Timer leaseHold;
    private final Timer commitTime;

    private volatile ConnectionState connection = ConnectionState.LOST;
    private volatile boolean terminating;
    private volatile boolean ledgerChecked;
    private String node;
    private String address;
    private CuratorFramework zk;
    private Membership membership;
    private CuratorCache leaseCache;
    private ScheduledExecutorService leaseThread;
    private ScheduledExecutorService commitThread;
    private java.util.concurrent.ExecutorService loaders;
    private HttpClient httpClient;
    private TargetCrawler crawler;
    private HttpService http;

    /** @throws CaimanException if no sharedlock cluster is configured for crawlers, or a target cannot be crawled */
    public CrawlerService(CaimanConfig config) {
        this.config = config;
        this.settings = config.crawler();
        if (settings.cluster() == null) {
            throw new CaimanException("crawler.cluster is not set and the configuration does not define exactly one "
                    + "sharedlock cluster; name the cluster to crawl for");
        }
        this.cluster = config.requireCluster(settings.cluster());
        this.oplog = config.requireCluster(cluster.oplog());
        this.configuredTargets = CrawlTarget.of(config, cluster.name());
        TargetCrawler.checkTls(config, cluster.name());
        this.fileSd = new FileSd(config, cluster.name());
        setTargets(configuredTargets);
        this.crawlPermits = new Semaphore(settings.maxConcurrentCrawls());
        this.records = new OplogRecords(oplog, config.replicaLabels());

        crawlsSucceeded = crawls("succeeded");
        crawlsFailed = crawls("failed");
        slotsSkipped = Counter.builder("caiman_crawler_slots_skipped")
                .description("Due slots not crawled because the crawl ledger says they are done").register(registry);
        slotsMissed = Counter.builder("caiman_crawler_slots_missed")
                .description("Slots that passed without a crawl: no crawler held their lease, or no crawl could start "
                        + "in time (each is logged)").register(registry);
        transactionsCommitted = transactions("committed");
        transactionsAborted = transactions("aborted");
        leasesLost = Counter.builder("caiman_crawler_leases_lost")
                .description("Leases given up because ZooKeeper or Kafka could no longer vouch for them").register(registry);
        zookeeperWrites = Counter.builder("caiman_crawler_zookeeper_writes")
                .description("ZooKeeper writes this crawler made: lock nodes created and deleted, member updates")
                .register(registry);
        triggersAccepted = triggered("accepted");
        triggersSucceeded = triggered("succeeded");
        triggersFailed = triggered("failed");
        lockWait = Timer.builder("caiman_crawler_lock_wait").description("Time to take a lease's ZooKeeper lock")
                .register(registry);
        leaseHold = Timer.builder("caiman_crawler_lease_hold").description("How long leases were held, at release")
                .register(registry);
        commitTime = Timer.builder("caiman_crawler_commit").description("Time to commit one transaction of crawls")
                .register(registry);
        Gauge.builder("caiman_crawler_leases", held, Map::size).description("Lease groups this crawler holds")
                .register(registry);
        Gauge.builder("caiman_crawler_leases_active", held, h -> h.values().stream()
                        .filter(l -> l.state == Lease.State.ACTIVE).count())
                .description("Lease groups this crawler holds and crawls: fenced, ledger read, slots planned")
                .register(registry);
        Gauge.builder("caiman_crawler_targets", () -> targets.size())
                .description("Targets of the cluster: configured, and from file_sd files").register(registry);
        fileSdProblems = Counter.builder("caiman_crawler_file_sd_problems")
                .description("Problems found reading file_sd files (each logged once, until the file changes)")
                .register(registry);
        if (!fileSd.isEmpty()) {
            refreshTargets();
        }
        Gauge.builder("caiman_crawler_crawls_in_flight", () -> settings.maxConcurrentCrawls() - crawlPermits.availablePermits())
                .description("Crawls under way").register(registry);
        for (ConnectionState s : List.of(ConnectionState.CONNECTED, ConnectionState.SUSPENDED, ConnectionState.LOST)) {
            Gauge.builder("caiman_crawler_zookeeper_connection", () -> stateName(connection).equals(s.name()) ? 1 : 0)
                    .description("1 for the ZooKeeper connection's current state").tag("state", s.name().toLowerCase())
                    .register(registry);
        }
        Gauge.builder("caiman_crawler_ledger_lag_seconds", this::ledgerLagSeconds)
                .description("For the targets of the leases held: the longest time since the end of a target's last "
                        + "slot recorded done in the crawl ledger, less one interval (0 when every target is current)")
                .register(registry);
    }

    private Counter crawls(String outcome) {
        return Counter.builder("caiman_crawler_crawls").description("Crawls committed, by outcome (failed: up = 0)")
                .tag("outcome", outcome).register(registry);
    }

    private Counter triggered(String state) {
        return Counter.builder("caiman_crawler_triggered_crawls")
                .description("Triggered crawls (POST /api/v1/crawls) committed as accepted, and as done by outcome")
                .tag("state", state).register(registry);
    }

    private Counter transactions(String outcome) {
        return Counter.builder("caiman_crawler_transactions").description("Kafka transactions of crawls, by outcome")
                .tag("outcome", outcome).register(registry);
    }

    private static String stateName(ConnectionState s) {
        return s == ConnectionState.RECONNECTED || s == ConnectionState.READ_ONLY ? "CONNECTED" : s.name();
    }

    /**
     * Checks (or creates) the oplog and the crawl ledger, joins the cluster and starts crawling.
     *
     * @throws io.caiman.core.kafka.TopicMismatchException if a topic differs from the config (the ledger's
     *     partition count is {@code lease_groups})
     * @throws CaimanException if ZooKeeper or Kafka cannot be reached, naming which
     */
    public void start() {
        lifecycle.starting();
        try {
            try (Admin admin = KafkaClients.newAdmin(config, oplog, "caiman-crawler-admin")) {
                Topics.ensure(admin, TopicSpec.oplog(oplog));
                Topics.ensure(admin, TopicSpec.crawlLedger(cluster, oplog, settings.leaseGroups()));
            }
            ledgerChecked = true;
            http = HttpService.builder("crawler", settings.listen(), registry)
                    .route("GET", "/api/v1/cluster/peers", this::peers)
                    .route("POST", "/api/v1/crawls", this::trigger)
                    .routePrefix("GET", "/api/v1/crawls/", this::crawlStatus)
                    .readiness(this::readiness)
                    .build();
            http.start();
            node = settings.node() != null ? settings.node() : hostName() + ":" + http.port();
            address = advertised(settings.listen(), http.port());
            zk = CuratorClients.start(CuratorClients.newClient(config.zookeeper(), cluster,
                    node.getBytes(StandardCharsets.UTF_8)), cluster, config.zookeeper().connectionTimeout());
            connection = ConnectionState.CONNECTED;
            zk.getConnectionStateListenable().addListener((client, state) -> {
                connection = state;
                if (!state.isConnected()) {
                    log.warn("crawler [{}] ZooKeeper connection {}: every lease is given up; nothing more is committed "
                            + "under them", node, state);
                    held.values().forEach(l -> l.lose("ZooKeeper connection " + state));
                } else {
                    log.info("crawler [{}] ZooKeeper connection {}", node, state);
                }
            });
            membership = new Membership(zk, member("running"));
            zk.createContainers(LEASES);
            leaseCache = CuratorCache.build(zk, LEASES);
            leaseCache.start();
            httpClient = TargetCrawler.newHttpClient(Duration.ofSeconds(10));
            crawler = new TargetCrawler(httpClient, config.gateway().sampleLimits(), settings.maxResponseBytes(),
                    "Caiman-crawler/" + node);
            leaseThread = Executors.newSingleThreadScheduledExecutor(r -> thread(r, "caiman-crawler-leases"));
            commitThread = Executors.newSingleThreadScheduledExecutor(r -> thread(r, "caiman-crawler-commit"));
            // leases taken together (a peer left) load together: each waits on Kafka for most of a second
            loaders = Executors.newFixedThreadPool(4, r -> thread(r, "caiman-crawler-load"));
            leaseThread.scheduleWithFixedDelay(this::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
            if (!fileSd.isEmpty()) {
                long refreshMs = settings.fileSdRefreshInterval().toMillis();
                leaseThread.scheduleWithFixedDelay(() -> {
                    if (refreshTargets()) {
                        applyTargets(System.currentTimeMillis());
                    }
                }, refreshMs, refreshMs, TimeUnit.MILLISECONDS);
            }
            long commitMs = settings.commitInterval().toMillis();
            commitThread.scheduleWithFixedDelay(this::commitAll, commitMs, commitMs, TimeUnit.MILLISECONDS);
            lifecycle.running();
            log.info("crawler [{}] of cluster {} at {}: {} targets in {} lease groups, writing to {}", node, cluster.name(),
                    address, targets.size(), groups.size(), oplog.oplogTopic());
        } catch (CaimanException e) {
            close();
            throw e;
        } catch (Exception e) {
            close();
            throw new CaimanException("crawler cannot start: " + e.getMessage(), e);
        }
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private Membership.Member member(String state) {
        return new Membership.Member(node, "crawler", address, state, List.copyOf(leases()));
    }

    // ---- the targets ----

    private void setTargets(List<CrawlTarget> all) {
        Map<Integer, List<CrawlTarget>> byGroup = new TreeMap<>();
        for (int g = 0; g < settings.leaseGroups(); g++) { // a group with no target still takes triggered crawls
            byGroup.put(g, new ArrayList<>());
        }
        for (CrawlTarget t : all) {
            byGroup.get(t.group(settings.leaseGroups())).add(t);
        }
        byGroup.replaceAll((g, list) -> List.copyOf(list));
        this.groups = Collections.unmodifiableMap(byGroup);
        this.targets = List.copyOf(all);
    }

    /** Re-reads the file_sd files that changed; returns whether the targets changed. Runs on the lease thread. */
    private boolean refreshTargets() {
        try {
            List<String> problems = new ArrayList<>(fileSd.refresh());
            fileSdProblems.increment(problems.size());
            problems.forEach(p -> log.warn("crawler: {}", p));
            List<String> leftOut = new ArrayList<>();
            List<CrawlTarget> next = CrawlTarget.withDiscovered(configuredTargets, fileSd.targets(), leftOut);
            if (next.equals(targets)) {
                return false;
            }
            leftOut.forEach(p -> log.warn("crawler: {}", p));
            int before = targets.size();
            setTargets(next);
            log.info("crawler: file_sd files changed: {} targets, {} before", next.size(), before);
            return true;
        } catch (RuntimeException e) {
            log.error("crawler: cannot refresh the file_sd targets: {}", e.toString(), e);
            return false;
        }
    }

    /**
     * Gives the leases held their group's targets after a change: targets that left are no longer crawled (a crawl
     * under way is still committed), and new ones are crawled from their current slot on (from after the last one
     * the ledger has done, when the target was there before).
     */
    private void applyTargets(long now) {
        for (Lease lease : held.values()) {
            List<CrawlTarget> next = groups.get(lease.group);
            if (next.equals(lease.targets)) {
                continue;
            }
            java.util.Set<String> had = new java.util.HashSet<>();
            lease.targets.forEach(t -> had.add(t.id()));
            java.util.Set<String> ids = new java.util.HashSet<>();
            next.forEach(t -> ids.add(t.id()));
            lease.targets = next;
            if (lease.state != Lease.State.ACTIVE && lease.state != Lease.State.RELEASING) {
                continue; // planned from lease.targets when loaded
            }
            lease.queue.removeIf(d -> !ids.contains(d.target().id()));
            for (CrawlTarget t : next) {
                if (!had.contains(t.id())) {
                    long current = t.slotOf(now);
                    Long lastStart = lease.done.get(t.id());
                    long first = lastStart == null ? current : Math.max(current, t.slotOf(lastStart) + 1);
                    lease.queue.add(new Lease.Due(t, first, t.dueMs(first)));
                }
            }
        }
    }

    // ---- the lease thread ----

    private void tick() {
        try {
            long now = System.currentTimeMillis();
            for (Lease lease : List.copyOf(held.values())) {
                if (lease.state == Lease.State.LOST) {
                    release(lease, "lost: " + lease.lostBecause);
                } else if (lease.state == Lease.State.RELEASING && lease.idle()) {
                    release(lease, "handed back to balance the cluster");
                } else if (lease.state == Lease.State.LOADED) {
                    plan(lease, now);
                } else if (lease.state == Lease.State.ACTIVE && !terminating) {
                    schedule(lease, now);
                }
            }
            if (!terminating && connection.isConnected() && clusterFormed()) {
                acquire(now);
            }
            if (membership != null && !terminating && membership.update(member("running"))) {
                zookeeperWrites.increment();
            }
        } catch (RuntimeException e) {
            log.error("crawler [{}] lease thread: {}", node, e.toString(), e);
        }
    }

    /** The targets' first slots once the ledger is read: done slots skipped, passed ones reported missed. */
    private void plan(Lease lease, long now) {
        long missed = 0;
        long skipped = 0;
        List<String> examples = new ArrayList<>();
        for (CrawlTarget t : lease.targets) {
            long current = t.slotOf(now);
            Long lastStart = lease.done.get(t.id());
            Long last = lastStart == null ? null : t.slotOf(lastStart); // in the target's interval now
            long first = current;
            if (last != null && last >= current) {
                skipped += last - current + 1;
                first = last + 1;
            } else if (last != null && last < current - 1) {
                missed += current - 1 - last;
                if (examples.size() < 3) {
                    examples.add(t.id() + " slots " + (last + 1) + ".." + (current - 1));
                }
            }
            lease.queue.add(new Lease.Due(t, first, t.dueMs(first)));
        }
        slotsSkipped.increment(skipped);
        log.info("crawler [{}] lease group {}: planned at {}; {} slot(s) already done in the ledger skipped", node,
                lease.group, Instant.ofEpochMilli(now), skipped);
        if (missed > 0) {
            slotsMissed.increment(missed);
            log.warn("crawler [{}] lease group {}: {} slot(s) passed while no crawler held this group; they are not "
                    + "backfilled (e.g. {})", node, lease.group, missed, String.join("; ", examples));
        }
        lease.state = Lease.State.ACTIVE;
        if (!terminating) {
            schedule(lease, now);
        }
    }

    /** Starts every accepted triggered crawl and every crawl of the lease that is due, while crawl permits last. */
    private void schedule(Lease lease, long now) {
        for (Trigger t; (t = lease.runnable.peek()) != null && lease.state == Lease.State.ACTIVE && crawlPermits.tryAcquire(); ) {
            lease.runnable.poll();
            Trigger trigger = t;
            trigger.state = Trigger.State.RUNNING;
            lease.inflight.incrementAndGet();
            crawler.crawl(trigger.target, -1, now).whenComplete((result, failure) -> {
                if (result != null) {
                    trigger.result = result;
                    lease.crawled.add(trigger);
                } else { // crawl() fails only by a bug; the crawl stays promised, and is tried again
                    trigger.state = Trigger.State.ACCEPTED;
                    lease.runnable.add(trigger);
                }
                lease.inflight.decrementAndGet();
                crawlPermits.release();
            });
        }
        long missed = 0;
        String example = null;
        while (!lease.queue.isEmpty() && lease.queue.peek().dueMs() <= now && lease.state == Lease.State.ACTIVE) {
            Lease.Due due = lease.queue.peek();
            CrawlTarget t = due.target();
            if (now >= t.slotStartMs(due.slot() + 1)) {
                lease.queue.poll();
                long current = t.slotOf(now);
                missed += current - due.slot();
                example = example != null ? example : t.id() + " slot " + due.slot();
                lease.queue.add(new Lease.Due(t, current, t.dueMs(current)));
                continue;
            }
            if (!crawlPermits.tryAcquire()) {
                break;
            }
            lease.queue.poll();
            lease.queue.add(new Lease.Due(t, due.slot() + 1, t.dueMs(due.slot() + 1)));
            lease.inflight.incrementAndGet();
            FaultPoints.reach(FaultPoints.BEFORE_REQUEST);
            crawler.crawl(t, due.slot(), now).whenComplete((result, failure) -> {
                if (result != null) {
                    lease.finished.add(result);
                }
                lease.inflight.decrementAndGet();
                crawlPermits.release();
            });
        }
        if (missed > 0) { // one line per group and tick, however many targets fell behind
            slotsMissed.increment(missed);
            log.warn("crawler [{}] lease group {}: {} slot(s) passed before a crawl could start (e.g. {}); the crawler "
                    + "is behind: {} of max_concurrent_crawls {} under way", node, lease.group, missed, example,
                    settings.maxConcurrentCrawls() - crawlPermits.availablePermits(), settings.maxConcurrentCrawls());
        }
    }

    private boolean clusterFormed() {
        return liveCrawlers() >= settings.minClusterSize()
                || System.nanoTime() - startedNanos >= settings.clusterWait().toNanos();
    }

    private int liveCrawlers() {
        if (membership == null) {
            return 0;
        }
        return (int) membership.peers().stream().filter(m -> m.role().equals("crawler") && m.state().equals("running")).count();
    }

    /** Takes free leases up to this crawler's share, and hands one back when it holds more than its share. */
    private void acquire(long now) {
        if (groups.isEmpty()) {
            return;
        }
        Map<Integer, Integer> holders = lockHolders();
        List<Membership.Member> peers = membership.peers().stream()
                .filter(m -> m.role().equals("crawler") && m.state().equals("running")).toList();
        int live = Math.max(1, peers.size());
        int share = (groups.size() + live - 1) / live;
        List<Integer> order = new ArrayList<>(groups.keySet());
        Collections.rotate(order, -Math.floorMod(node.hashCode(), order.size()));
        for (int g : order) {
            if (held.containsKey(g)) {
                continue;
            }
            if (holders.getOrDefault(g, 0) > 0) {
                orphanSince.remove(g);
                continue;
            }
            long since = orphanSince.computeIfAbsent(g, x -> now);
            boolean mine = now - handedBack.getOrDefault(g, Long.MIN_VALUE / 2) >= 2 * ORPHAN_GRACE_MS;
            if ((held.size() >= share || !mine) && now - since < ORPHAN_GRACE_MS) {
                continue; // a peer under its share takes it; if none does in time, this one will
            }
            take(g);
        }
        int floor = groups.size() / live;
        boolean peerWantsOne = peers.stream().anyMatch(m -> !m.node().equals(node) && m.leases().size() < floor);
        boolean releasing = held.values().stream().anyMatch(l -> l.state == Lease.State.RELEASING);
        if (held.size() > share && peerWantsOne && !releasing) { // one at a time, so the counts can catch up
            held.values().stream().filter(l -> l.state == Lease.State.ACTIVE)
                    .max((a, b) -> Integer.compare(a.group, b.group))
                    .ifPresent(l -> {
                        l.state = Lease.State.RELEASING;
                        handedBack.put(l.group, now);
                    });
        }
    }

    /** How many lock nodes each group has (a holder, and anyone trying), from the cache. */
    private Map<Integer, Integer> lockHolders() {
        Map<Integer, Integer> holders = new HashMap<>();
        leaseCache.stream().forEach(d -> {
            String[] parts = d.getPath().split("/");
            if (parts.length == 4) { // "", "leases", group, lock node
                try {
                    holders.merge(Integer.parseInt(parts[2]), 1, Integer::sum);
                } catch (NumberFormatException e) {
                    // not a lease group
                }
            }
        });
        return holders;
    }

    private void take(int group) {
        InterProcessMutex mutex = new InterProcessMutex(zk, LEASES + "/" + group);
        long t0 = System.nanoTime();
        boolean acquired;
        zookeeperWrites.increment(); // the lock node
        try {
            acquired = mutex.acquire(50, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("crawler [{}] cannot take lease group {}: {}", node, group, e.toString());
            return;
        }
        if (!acquired) {
            zookeeperWrites.increment(); // the lock node, deleted again
            return; // someone else took it: a normal outcome
        }
        lockWait.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        orphanSince.remove(group);
        Lease lease = new Lease(group, groups.get(group), mutex);
        held.put(group, lease);
        if (!connection.isConnected()) {
            lease.lose("ZooKeeper connection " + connection);
            return;
        }
        log.info("crawler [{}] took lease group {} ({} targets)", node, group, lease.targets.size());
        FaultPoints.reach(FaultPoints.LEASE_ACQUIRED);
        loaders.execute(() -> load(lease));
    }

    /** Releases the lease's lock on this (the acquiring) thread and closes its producer. */
    private void release(Lease lease, String why) {
        held.remove(lease.group);
        lease.released = true;
        if (lease.state == Lease.State.LOST) {
            leasesLost.increment();
            log.warn("crawler [{}] gave up lease group {} ({})", node, lease.group, why);
        } else {
            log.info("crawler [{}] released lease group {} ({})", node, lease.group, why);
        }
        leaseHold.record(System.nanoTime() - lease.acquiredNanos, TimeUnit.NANOSECONDS);
        lease.triggers.values().forEach(t -> t.durable.completeExceptionally(new IllegalStateException(
                "crawler " + node + " let go of lease group " + lease.group + " (" + why + ")")));
        zookeeperWrites.increment();
        try {
            lease.mutex.release(); // Curator deletes the lock node in the background until it succeeds
        } catch (Exception e) {
            log.debug("crawler [{}] lease group {} release: {}", node, lease.group, e.toString());
        }
        KafkaProducer<byte[], byte[]> producer = lease.producer;
        if (producer != null) {
            commitThread.execute(() -> producer.close(Duration.ofSeconds(1)));
        }
    }

    // ---- the loader and commit threads ----

    /** Fences the previous holder and reads what the ledger says is done (see the class comment for the order). */
    private void load(Lease lease) {
        try {
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClients.transactionalProducer(config, oplog,
                    "caiman-crawler-" + node + "-" + lease.group, cluster.crawlerTransactionalId(lease.group)));
            lease.producer = producer;
            if (lease.released) {
                producer.close(Duration.ZERO);
                return;
            }
            long t0 = System.nanoTime();
            producer.initTransactions();
            long fencedNanos = System.nanoTime() - t0;
            TopicPartition partition = new TopicPartition(cluster.crawlLedgerTopic(), lease.group);
            int entries = 0;
            long expiredBefore = System.currentTimeMillis() - TRIGGER_RETENTION.toMillis();
            Map<String, CrawlTarget> byId = new HashMap<>();
            targets.forEach(t -> byId.put(t.id(), t));
            KafkaConsumer<byte[], byte[]> ledger = ledgerReaders.poll();
            if (ledger == null) {
                ledger = KafkaClients.newReader(config, oplog, "caiman-crawler-" + node + "-ledger");
            }
            try {
                ledger.assign(List.of(partition));
                ledger.seekToBeginning(List.of(partition));
                long end = ledger.endOffsets(List.of(partition)).get(partition);
                while (ledger.position(partition) < end) {
                    for (ConsumerRecord<byte[], byte[]> r : ledger.poll(Duration.ofMillis(200))) {
                        String key = new String(r.key(), StandardCharsets.UTF_8);
                        if (key.startsWith(Trigger.KEY_PREFIX)) {
                            loadTrigger(lease, key.substring(Trigger.KEY_PREFIX.length()), r.value(), expiredBefore, byId);
                            entries++;
                            continue;
                        }
                        if (r.value() == null) {
                            continue;
                        }
                        LedgerEntry e = Codecs.LEDGER_ENTRY.decode(r.value());
                        // every target's, held or not: a file_sd target may come back
                        lease.done.merge(e.getTargetId(), e.getSlotStartMs(), Math::max);
                        entries++;
                    }
                    if (lease.state == Lease.State.LOST) {
                        return;
                    }
                }
            } catch (RuntimeException e) {
                ledger.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(1)));
                ledger = null;
                throw e;
            } finally {
                if (ledger != null) {
                    ledger.assign(List.of());
                    ledgerReaders.add(ledger); // kept for the next load: no new client, no metadata round trips
                }
            }
            lease.triggers.values().stream().filter(t -> t.state == Trigger.State.ACCEPTED)
                    .sorted((a, b) -> Long.compare(a.acceptedAtMs, b.acceptedAtMs)).forEach(lease.runnable::add);
            if (lease.state == Lease.State.LOADING) {
                lease.state = Lease.State.LOADED;
                log.info("crawler [{}] lease group {}: fenced in {} ms, read {} ledger entries in {} ms", node, lease.group,
                        fencedNanos / 1_000_000, entries, (System.nanoTime() - t0 - fencedNanos) / 1_000_000);
            }
        } catch (RuntimeException e) {
            lease.lose("cannot open the group's producer or read its ledger: " + e.getMessage());
        }
    }

    /** One triggered-crawl entry of the ledger: the latest one for its id wins, as compaction keeps it. */
    private void loadTrigger(Lease lease, String id, byte[] value, long expiredBefore, Map<String, CrawlTarget> byId) {
        if (value == null) {
            lease.triggers.remove(id);
            return;
        }
        TriggeredCrawl r = Codecs.TRIGGERED_CRAWL.decode(value);
        if (r.getCompletedAtMs() != null && r.getCompletedAtMs() < expiredBefore) {
            lease.triggers.remove(id);
            lease.expired.add(id);
            return;
        }
        CrawlTarget configured = r.getConfigured() ? byId.get(r.getTargetId()) : null;
        CrawlTarget target = configured != null ? configured : new CrawlTarget(r.getTargetId(), r.getKind(),
                URI.create(r.getUrl()), Duration.ofMillis(r.getTimeoutMs()), Duration.ofMillis(r.getTimeoutMs()),
                Map.copyOf(r.getLabels()), Map.of(), r.getTenant(), io.caiman.core.config.ClientTls.DEFAULT);
        lease.triggers.put(id, Trigger.of(r, target));
    }

    private void commitAll() {
        for (Lease lease : List.copyOf(held.values())) {
            try {
                commit(lease);
            } catch (RuntimeException e) {
                log.error("crawler [{}] lease group {} commit: {}", node, lease.group, e.toString(), e);
                lease.lose("commit failed: " + e.getMessage());
            }
        }
    }

    /** Commits the lease's finished crawls and their ledger entries in one transaction. */
    private void commit(Lease lease) {
        Lease.State state = lease.state;
        if (!lease.hasWork() || (state != Lease.State.ACTIVE && state != Lease.State.RELEASING
                && state != Lease.State.LOST)) {
            return;
        }
        lease.committing = true;
        List<Trigger> accepts = new ArrayList<>();
        try {
            List<CrawlResult> batch = new ArrayList<>();
            for (CrawlResult r; (r = lease.finished.poll()) != null; ) {
                batch.add(r);
            }
            List<Trigger> crawled = new ArrayList<>();
            for (Trigger t; (t = lease.crawled.poll()) != null; ) {
                crawled.add(t);
            }
            for (Trigger t; (t = lease.toAccept.poll()) != null; ) {
                accepts.add(t);
            }
            List<String> expired = new ArrayList<>();
            for (String id; (id = lease.expired.poll()) != null; ) {
                expired.add(id);
            }
            if (lease.state == Lease.State.LOST || !connection.isConnected()) {
                return; // the next holder redoes these slots if they have not passed, and the accepted triggered crawls
            }
            KafkaProducer<byte[], byte[]> producer = lease.producer;
            long t0 = System.nanoTime();
            long nowMs = System.currentTimeMillis();
            List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
            for (CrawlResult r : batch) {
                out.addAll(records.records(r.samples(), r.target().tenant(), r.startedMs(), "crawl", address));
                out.add(ledgerRecord(lease.group, r));
            }
            for (Trigger t : accepts) {
                out.add(new ProducerRecord<>(cluster.crawlLedgerTopic(), lease.group, t.ledgerKey(),
                        Codecs.TRIGGERED_CRAWL.encode(t.acceptedRecord())));
            }
            for (Trigger t : crawled) {
                CrawlResult r = t.result;
                out.addAll(records.records(r.samples(), t.target.tenant(), r.startedMs(), "trigger", address));
                out.add(new ProducerRecord<>(cluster.crawlLedgerTopic(), lease.group, t.ledgerKey(),
                        Codecs.TRIGGERED_CRAWL.encode(t.doneRecord(r, nowMs, address))));
            }
            for (String id : expired) {
                out.add(new ProducerRecord<>(cluster.crawlLedgerTopic(), lease.group,
                        (Trigger.KEY_PREFIX + id).getBytes(StandardCharsets.UTF_8), null));
            }
            try {
                producer.beginTransaction();
                for (ProducerRecord<byte[], byte[]> record : out) {
                    producer.send(record);
                }
                FaultPoints.reach(FaultPoints.BEFORE_COMMIT);
                if (!crawled.isEmpty()) {
                    FaultPoints.reach(FaultPoints.TRIGGERED_BEFORE_COMMIT);
                }
                if (lease.state == Lease.State.LOST || !connection.isConnected()) {
                    producer.abortTransaction();
                    transactionsAborted.increment();
                    return;
                }
                producer.commitTransaction();
            } catch (KafkaException e) {
                transactionsAborted.increment();
                lease.lose("the transaction failed (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                        + "); a newer holder may have fenced this one");
                return;
            }
            FaultPoints.reach(FaultPoints.AFTER_COMMIT);
            commitTime.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            transactionsCommitted.increment();
            for (Trigger t : accepts) {
                t.state = Trigger.State.ACCEPTED;
                t.durable.complete(null);
                lease.runnable.add(t);
                triggersAccepted.increment();
            }
            accepts.clear();
            for (Trigger t : crawled) {
                CrawlResult r = t.result;
                t.completed(r, nowMs, address);
                (r.succeeded() ? triggersSucceeded : triggersFailed).increment();
                log.info("crawler [{}] triggered crawl {} ({}, key {}): {}", node, t.id, t.target.id(), t.key,
                        r.succeeded() ? r.samples().size() + " samples" : "up = 0: " + r.error());
            }
            for (CrawlResult r : batch) {
                lease.done.merge(r.target().id(), r.target().slotStartMs(r.slot()), Math::max);
                (r.succeeded() ? crawlsSucceeded : crawlsFailed).increment();
                if (!r.succeeded()) {
                    log.info("crawler [{}] {} slot {}: up = 0: {}", node, r.target().id(), r.slot(), r.error());
                }
            }
        } finally {
            lease.committing = false;
            accepts.forEach(t -> t.durable.completeExceptionally(new IllegalStateException(
                    "the transaction that would accept it did not commit (lease group " + lease.group + ")")));
        }
    }

    private ProducerRecord<byte[], byte[]> ledgerRecord(int group, CrawlResult r) {
        CrawlTarget t = r.target();
        LedgerEntry entry = LedgerEntry.newBuilder().setTargetId(t.id()).setSlotStartMs(t.slotStartMs(r.slot()))
                .setIntervalMs(t.interval().toMillis())
                .setOutcome(r.succeeded() ? CrawlOutcome.SUCCEEDED : CrawlOutcome.FAILED).setCompletedBy(address)
                .setCompletedAtMs(System.currentTimeMillis()).setSamples(r.samples().size()).setTenant(t.tenant()).build();
        return new ProducerRecord<>(cluster.crawlLedgerTopic(), group, t.id().getBytes(StandardCharsets.UTF_8),
                Codecs.LEDGER_ENTRY.encode(entry));
    }

    // ---- views ----

    private double ledgerLagSeconds() {
        long now = System.currentTimeMillis();
        long worst = 0;
        for (Lease lease : held.values()) {
            if (lease.state != Lease.State.ACTIVE) {
                continue;
            }
            for (CrawlTarget t : lease.targets) {
                Long lastStart = lease.done.get(t.id());
                if (lastStart != null) {
                    worst = Math.max(worst, now - t.slotStartMs(t.slotOf(lastStart) + 2));
                }
            }
        }
        return worst / 1000.0;
    }

    private Readiness readiness() {
        int live = liveCrawlers();
        boolean waited = System.nanoTime() - startedNanos >= settings.clusterWait().toNanos();
        return new Readiness(List.of(
                new Readiness.Condition("oplog " + oplog.oplogTopic() + " and ledger " + cluster.crawlLedgerTopic()
                        + " checked", ledgerChecked, ""),
                new Readiness.Condition("ZooKeeper connected", connection.isConnected(), "connection " + connection),
                new Readiness.Condition("member of cluster " + cluster.name(), membership != null && !terminating,
                        terminating ? "terminating" : ""),
                new Readiness.Condition("cluster formed", live >= settings.minClusterSize() || waited,
                        live + " of min_cluster_size " + settings.minClusterSize() + " crawlers"
                                + (live < settings.minClusterSize() ? (waited ? "; cluster_wait passed" : "; waiting up to "
                                        + settings.clusterWait().toSeconds() + " s") : ""))));
    }

    /** {@code GET /api/v1/cluster/peers}: every member of the cluster, Prometheus API style. */
    private void peers(HttpExchange exchange) {
        StringBuilder json = new StringBuilder("{\"status\":\"success\",\"data\":[");
        List<Membership.Member> peers = membership == null ? List.of() : membership.peers();
        for (int i = 0; i < peers.size(); i++) {
            Membership.Member m = peers.get(i);
            json.append(i == 0 ? "" : ",").append("{\"node\":").append(Json.quote(m.node()))
                    .append(",\"role\":").append(Json.quote(m.role()))
                    .append(",\"address\":").append(Json.quote(m.address()))
                    .append(",\"state\":").append(Json.quote(m.state()))
                    .append(",\"leases\":").append(m.leases())
                    .append(",\"self\":").append(m.node().equals(node)).append('}');
        }
        json.append("]}\n");
        exchange.respond(200, "application/json", json.toString().getBytes(StandardCharsets.UTF_8), Map.of());
    }

    // ---- triggered crawls ----

    /**
     * {@code POST /api/v1/crawls}: 202 with the crawl's id once its accepted entry is committed to the ledger, by the
     * holder of the crawl's lease group (a request to another crawler is forwarded there). Every request with the same
     * idempotency key is the same crawl, whichever crawler it reaches.
     */
    private void trigger(HttpExchange exchange) {
        exchange.body(TriggerRequest.MAX_BODY_BYTES).whenComplete((body, failure) -> {
            try {
                if (failure != null) {
                    throw failure instanceof java.util.concurrent.CompletionException && failure.getCause() instanceof HttpError e
                            ? e : failure instanceof HttpError e ? e : new HttpError(400, "cannot read the body: " + failure);
                }
                TriggerRequest request = TriggerRequest.parse(body, exchange.header("Idempotency-Key"), targets,
                        config.gateway().defaultTenant(), settings.adHocCrawls());
                String id = Trigger.idOf(request.key());
                int group = Trigger.groupOf(id, settings.leaseGroups());
                Lease lease = held.get(group);
                if (lease != null && lease.state == Lease.State.ACTIVE && !terminating) {
                    accept(exchange, lease, request);
                } else {
                    forward(exchange, group, id, body);
                }
            } catch (HttpError e) {
                respondError(exchange, e.status(), e.getMessage(), null);
            } catch (RuntimeException e) {
                log.error("crawler [{}] POST /api/v1/crawls: {}", node, e.toString(), e);
                respondError(exchange, 500, "internal error: " + e, null);
            }
        });
    }

    private void accept(HttpExchange exchange, Lease lease, TriggerRequest request) {
        Trigger fresh = new Trigger(request.key(), request.target(), request.configured(), System.currentTimeMillis(),
                address);
        Trigger existing = lease.triggers.putIfAbsent(fresh.id, fresh);
        Trigger t = existing != null ? existing : fresh;
        if (existing == null) {
            lease.toAccept.add(fresh);
        } else if (!existing.target.id().equals(request.target().id())) {
            respondError(exchange, 409, "idempotency key " + request.key() + " is crawl " + existing.id + " of "
                    + existing.target.id() + "; use a new key for " + request.target().id(), null);
            return;
        }
        t.durable.copy().orTimeout(ACCEPT_WAIT_MS, TimeUnit.MILLISECONDS).whenComplete((v, failure) -> {
            if (failure != null) {
                respondError(exchange, 503, "crawl " + t.id + " was not accepted: " + (failure.getCause() != null
                        ? failure.getCause() : failure) + "; retry with the same key", "1");
                return;
            }
            exchange.respond(202, "application/json", ("{\"status\":\"success\",\"data\":" + t.json() + "}\n")
                    .getBytes(StandardCharsets.UTF_8), Map.of("Location", "/api/v1/crawls/" + t.id));
        });
    }

    /** {@code GET /api/v1/crawls/{id}}: the crawl's state and result, from the holder of its lease group. */
    private void crawlStatus(HttpExchange exchange) {
        String id = exchange.path().substring("/api/v1/crawls/".length());
        if (!Trigger.isId(id)) {
            respondError(exchange, 404, "not a crawl id: " + id + " (crawl ids are 32 hex digits)", null);
            return;
        }
        int group = Trigger.groupOf(id, settings.leaseGroups());
        Lease lease = held.get(group);
        if (lease != null && (lease.state == Lease.State.ACTIVE || lease.state == Lease.State.RELEASING)) {
            Trigger t = lease.triggers.get(id);
            if (t == null || t.state == Trigger.State.PENDING) {
                respondError(exchange, 404, "no crawl " + id + ": never accepted, or done more than "
                        + TRIGGER_RETENTION.toHours() + " h ago", null);
            } else {
                exchange.respond(200, "application/json", ("{\"status\":\"success\",\"data\":" + t.json() + "}\n")
                        .getBytes(StandardCharsets.UTF_8), Map.of());
            }
            return;
        }
        forward(exchange, group, id, null);
    }

    /**
     * Passes a request about crawl {@code id} to the crawler that holds its lease group, and its answer back. A
     * forwarded request is never forwarded again: when leases move under it, the client is told to retry.
     */
    private void forward(HttpExchange exchange, int group, String id, byte[] body) {
        String from = exchange.header(FORWARDED_BY);
        if (from != null) {
            respondError(exchange, 503, "crawler " + node + " got crawl " + id + " from " + from + " but does not hold "
                    + "its lease group " + group + " (leases are moving); retry", "1");
            return;
        }
        Membership.Member holder = membership == null ? null : membership.peers().stream()
                .filter(m -> !m.node().equals(node) && m.leases().contains(group) && m.state().equals("running"))
                .findFirst().orElse(null);
        if (holder == null) {
            Lease mine = held.get(group);
            respondError(exchange, 503, mine != null ? "crawler " + node + " is taking over lease group " + group
                    + " of crawl " + id + " (" + mine.state.name().toLowerCase() + "); retry"
                    : "no crawler holds lease group " + group + " of crawl " + id + " now; retry", mine != null ? "1" : "2");
            return;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + holder.address() + exchange.path()))
                .timeout(Duration.ofMillis(ACCEPT_WAIT_MS + 5_000)).header(FORWARDED_BY, node);
        if (body != null) {
            request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", "application/json");
            String key = exchange.header("Idempotency-Key");
            if (key != null) {
                request.header("Idempotency-Key", key);
            }
        }
        io.caiman.core.http.ResponseDeadline.within(httpClient.sendAsync(request.build(),
                HttpResponse.BodyHandlers.ofByteArray()), Duration.ofMillis(ACCEPT_WAIT_MS + 5_000)).whenComplete((r, failure) -> {
            if (failure != null) {
                respondError(exchange, 503, "cannot reach crawler " + holder.node() + " at " + holder.address()
                        + ", which holds lease group " + group + " of crawl " + id + ": " + failure + "; retry", "1");
                return;
            }
            Map<String, String> headers = new HashMap<>();
            for (String h : List.of("Location", "Retry-After")) {
                r.headers().firstValue(h).ifPresent(v -> headers.put(h, v));
            }
            exchange.respond(r.statusCode(), r.headers().firstValue("Content-Type").orElse("application/json"), r.body(),
                    headers);
        });
    }

    /** An error as Prometheus' API writes one, with {@code Retry-After} when a retry can succeed. */
    private static void respondError(HttpExchange exchange, int status, String message, String retryAfter) {
        String type = status == 400 ? "bad_data" : status == 404 ? "not_found" : status == 503 ? "unavailable"
                : status == 409 ? "conflict" : status == 403 ? "forbidden" : "internal";
        exchange.respond(status, "application/json", ("{\"status\":\"error\",\"errorType\":\"" + type
                + "\",\"error\":" + Json.quote(message) + "}\n").getBytes(StandardCharsets.UTF_8),
                retryAfter == null ? Map.of() : Map.of("Retry-After", retryAfter));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    private static String advertised(HostPort listen, int port) {
        return listen.advertised(port);
    }

    public int httpPort() {
        return http.port();
    }

    public String node() {
        return node;
    }

    /** The lease groups held now, for tests and tools. */
    public List<Integer> leases() {
        List<Integer> leases = new ArrayList<>(held.keySet());
        leases.sort(null);
        return leases;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The Curator client, for tests that break its session. */
    CuratorFramework zookeeper() {
        return zk;
    }

    /**
     * Leaves the cluster gracefully: marks this member terminating, starts no new crawl, lets the crawls under way
     * finish (up to their timeout) and commits them, releases every lease and leaves.
     */
    @Override
    public void close() {
        if (!lifecycle.closing()) {
            return;
        }
        terminating = true;
        try {
            if (membership != null) {
                membership.update(member("terminating"));
                long deadline = System.nanoTime() + longestTimeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
                while (held.values().stream().anyMatch(l -> l.inflight.get() > 0) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            }
            if (commitThread != null) {
                commitThread.submit(this::commitAll).get(30, TimeUnit.SECONDS);
            }
            if (leaseThread != null) {
                leaseThread.submit(() -> List.copyOf(held.values()).forEach(l -> release(l, "leaving the cluster")))
                        .get(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("crawler [{}] did not leave cleanly: {}", node, e.toString());
        } finally {
            shutdown(leaseThread);
            shutdown(commitThread);
            shutdown(loaders);
            for (KafkaConsumer<byte[], byte[]> reader; (reader = ledgerReaders.poll()) != null; ) {
                reader.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(1)));
            }
            if (leaseCache != null) {
                leaseCache.close();
            }
            if (membership != null) {
                membership.close();
            }
            if (zk != null) {
                zk.close();
            }
            if (http != null) {
                http.close();
            }
            lifecycle.closed();
            log.info("crawler [{}] left cluster {}", node, cluster.name());
        }
    }

    private Duration longestTimeout() {
        return groups.values().stream().flatMap(List::stream).map(CrawlTarget::timeout).max(Duration::compareTo)
                .orElse(Duration.ZERO);
    }

    private static void shutdown(java.util.concurrent.ExecutorService executor) {
        if (executor == null) {
            return;
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
