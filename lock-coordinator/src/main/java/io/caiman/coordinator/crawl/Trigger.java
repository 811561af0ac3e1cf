package io.caiman.coordinator.crawl;

import io.caiman.core.wire.Json;
import io.caiman.schemas.crawl.TriggerState;
import io.caiman.schemas.crawl.TriggeredCrawl;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;

/**
 * One triggered crawl ({@code POST /api/v1/crawls}) as the holder of its lease group knows it: what to crawl, and
 * where it is. The ledger holds it under {@code trigger/<id>}, written when it is accepted and again, with its
 * samples, when it is done; so a crawl accepted by a crawler that dies is done by the next holder, and exactly once.
 */
final class Trigger {

    /** The ledger key prefix of triggered crawls (target ids start with their kind, never with this). */
    static final String KEY_PREFIX = "trigger/";

    enum State {
        /** Asked for; its accepted entry is not committed yet, so nothing is promised. */
        PENDING,
        /** Committed as accepted: it will be crawled by whoever holds the group. */
        ACCEPTED,
        /** Its request is under way or its result waits for the next commit. */
        RUNNING,
        SUCCEEDED,
        FAILED;

        boolean done() {
            return this == SUCCEEDED || this == FAILED;
        }
    }

    final String id;
    final String key;
    final CrawlTarget target;
    final boolean configured;
    final long acceptedAtMs;
    final String acceptedBy;
    /** Completed when the accepted entry is committed; failed when it will not be. */
    final CompletableFuture<Void> durable = new CompletableFuture<>();
    volatile State state;
    volatile long completedAtMs;
    volatile String completedBy;
    volatile long samples;
    volatile long durationMs;
    volatile String error;
    /** The crawl's result while it waits for a commit. */
    volatile CrawlResult result;

    Trigger(String key, CrawlTarget target, boolean configured, long acceptedAtMs, String acceptedBy) {
        this.id = idOf(key);
        this.key = key;
        this.target = target;
        this.configured = configured;
        this.acceptedAtMs = acceptedAtMs;
        this.acceptedBy = acceptedBy;
        this.state = State.PENDING;
    }

    /**
     * The crawl id of an idempotency key: the first 128 bits of its SHA-256, in hex. Every crawler derives the same
     * id, and from the id the same lease group, without asking anyone.
     */
    static String idOf(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The lease group whose holder does crawl {@code id}: CRC-32C of the id, mod {@code groups}. */
    static int groupOf(String id, int groups) {
        CRC32C crc = new CRC32C();
        crc.update(id.getBytes(StandardCharsets.UTF_8));
        return Math.floorMod((int) crc.getValue(), groups);
    }

    /** Whether {@code s} looks like a crawl id. */
    static boolean isId(String s) {
        return s.length() == 32 && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    byte[] ledgerKey() {
        return (KEY_PREFIX + id).getBytes(StandardCharsets.UTF_8);
    }

    /** The ledger record that promises the crawl. */
    TriggeredCrawl acceptedRecord() {
        return base().setState(TriggerState.ACCEPTED).build();
    }

    /** The ledger record of the crawl done with result {@code r}, committed together with its samples. */
    TriggeredCrawl doneRecord(CrawlResult r, long nowMs, String by) {
        return base().setState(r.succeeded() ? TriggerState.SUCCEEDED : TriggerState.FAILED).setCompletedAtMs(nowMs)
                .setCompletedBy(by).setSamples(r.samples().size()).setDurationMs(r.durationMs()).setError(r.error())
                .build();
    }

    private TriggeredCrawl.Builder base() {
        return TriggeredCrawl.newBuilder().setCrawlId(id).setIdempotencyKey(key).setTargetId(target.id())
                .setConfigured(configured).setKind(target.kind()).setUrl(target.url().toString())
                .setLabels(new TreeMap<>(target.labels())).setTimeoutMs(target.timeout().toMillis())
                .setTenant(target.tenant()).setAcceptedAtMs(acceptedAtMs).setAcceptedBy(acceptedBy);
    }

    /** A crawl read back from the ledger; {@code target} is the configured one when it still exists. */
    static Trigger of(TriggeredCrawl r, CrawlTarget target) {
        Trigger t = new Trigger(r.getIdempotencyKey(), target, r.getConfigured(), r.getAcceptedAtMs(), r.getAcceptedBy());
        t.state = switch (r.getState()) {
            case SUCCEEDED -> State.SUCCEEDED;
            case FAILED -> State.FAILED;
            case ACCEPTED -> State.ACCEPTED;
        };
        t.completedAtMs = r.getCompletedAtMs() != null ? r.getCompletedAtMs() : 0;
        t.completedBy = r.getCompletedBy();
        t.samples = r.getSamples();
        t.durationMs = r.getDurationMs();
        t.error = r.getError();
        t.durable.complete(null);
        return t;
    }

    /** Takes in a committed result. */
    void completed(CrawlResult r, long nowMs, String by) {
        samples = r.samples().size();
        durationMs = r.durationMs();
        error = r.error();
        completedAtMs = nowMs;
        completedBy = by;
        result = null;
        state = r.succeeded() ? State.SUCCEEDED : State.FAILED;
    }

    /** The crawl as {@code GET /api/v1/crawls/{id}} shows it (the {@code data} object). */
    String json() {
        State s = state;
        StringBuilder b = new StringBuilder("{\"id\":").append(Json.quote(id))
                .append(",\"idempotency_key\":").append(Json.quote(key))
                .append(",\"state\":").append(Json.quote(s == State.PENDING ? "accepted" : s.name().toLowerCase()))
                .append(",\"target\":").append(Json.quote(target.id()))
                .append(",\"kind\":").append(Json.quote(target.kind()))
                .append(",\"url\":").append(Json.quote(target.url().toString()))
                .append(",\"labels\":{");
        int i = 0;
        for (Map.Entry<String, String> e : new TreeMap<>(target.labels()).entrySet()) {
            b.append(i++ == 0 ? "" : ",").append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
        }
        b.append("},\"tenant\":").append(Json.quote(target.tenant()))
                .append(",\"accepted_at\":").append(Json.quote(Instant.ofEpochMilli(acceptedAtMs).toString()))
                .append(",\"accepted_by\":").append(Json.quote(acceptedBy));
        if (s.done()) {
            b.append(",\"completed_at\":").append(Json.quote(Instant.ofEpochMilli(completedAtMs).toString()))
                    .append(",\"completed_by\":").append(Json.quote(completedBy))
                    .append(",\"up\":").append(s == State.SUCCEEDED ? 1 : 0)
                    .append(",\"samples\":").append(samples)
                    .append(",\"duration_seconds\":").append(durationMs / 1000.0)
                    .append(",\"error\":").append(error == null ? "null" : Json.quote(error));
        }
        return b.append('}').toString();
    }
}
