package io.caiman.core.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPInputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One HTTP request and its response, as Caiman's handlers see it: a thin adapter over the server, so
 * protocol logic never touches Jetty. A handler may answer later, from another thread; it must answer
 * exactly once ({@link #respond}).
 */
public final class HttpExchange {

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final AtomicBoolean answered = new AtomicBoolean();
    /** Whether the body was read to its end, so the connection can carry the client's next request. */
    private volatile boolean bodyConsumed;
    /** Whether a handler reads the body ({@link #rawBody}). */
    private volatile boolean bodyStarted;
    private Map<String, List<String>> query;
    /** The slowest a body may arrive on average, in bytes a second, past {@link #BODY_GRACE_NANOS}; 0: any pace. */
    private final long minBodyRate;
    private final long startNanos = System.nanoTime();

    /**
     * How long a body may take before its pace is checked: a sender's first bytes may wait for its connection, its
     * TLS handshake or its own pauses, and a small body is done long before.
     */
    static final long BODY_GRACE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

    HttpExchange(Request request, Response response, Callback callback, long minBodyRate) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.minBodyRate = minBodyRate;
    }

    public String method() {
        return request.getMethod();
    }

    /** The path, percent-decoded (the one routes match). */
    public String path() {
        return Request.getPathInContext(request);
    }

    /**
     * The path as the request line gave it, still percent-encoded: for a path whose segments carry values, where
     * a decoded {@code %2F} could no longer be told from a separator.
     */
    public String rawPath() {
        return request.getHttpURI().getPath();
    }

    /** The first value of a header, or {@code null}. */
    public String header(String name) {
        return request.getHeaders().get(name);
    }

    /**
     * Every value of a query parameter, in order; empty when it is absent.
     *
     * @throws HttpError 400 when the query has a bad {@code %} escape or a name or value that is not UTF-8, which
     *     Jetty's own reading would replace with U+FFFD
     */
    public List<String> queryValues(String name) {
        if (query == null) {
            query = query(request.getHttpURI().getQuery());
        }
        List<String> values = query.get(name);
        return values == null ? List.of() : values;
    }

    /** An {@code application/x-www-form-urlencoded} query, each name and value decoded exactly ({@link UrlDecoding}). */
    static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> parameters = new java.util.LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return parameters;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = UrlDecoding.decode(eq < 0 ? pair : pair.substring(0, eq), true, "a query parameter's name");
            String value = eq < 0 ? "" : UrlDecoding.decode(pair.substring(eq + 1), true, "the query parameter " + name);
            parameters.computeIfAbsent(name, n -> new java.util.ArrayList<>()).add(value);
        }
        return parameters;
    }

    /** The declared {@code Content-Length}, or -1 when the body is chunked. */
    public long contentLength() {
        return request.getLength();
    }

    /**
     * Adds {@code Connection: close} to an answer to {@code request} when its body was not read to its end
     * ({@code consumed}): the server closes such a connection (the rest of the body may still be on its way), and the
     * header tells the client not to send its next request on it.
     */
    private static void closeUnlessConsumed(Request request, Response response, boolean consumed) {
        if (!consumed && hasBody(request)) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
    }

    /** Whether a request has a body: a length over zero, or chunked. */
    private static boolean hasBody(Request request) {
        return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /** The remote address, for logs. */
    public String remote() {
        return Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request);
    }

    /**
     * Reads the whole body, gunzipping it when {@code Content-Encoding: gzip}, refusing more than
     * {@code maxBytes} before or after decompression.
     *
     * @return the body; completes exceptionally with {@link HttpError} 413 (too large) or 415 (unknown
     *     encoding, corrupt gzip)
     */
    public CompletableFuture<byte[]> body(long maxBytes) {
        String encoding = header("Content-Encoding");
        return rawBody(maxBytes).thenApply(bytes -> decodeContent(encoding, bytes, maxBytes));
    }

    /**
     * Undoes a {@code Content-Encoding} of identity or gzip.
     *
     * @throws HttpError 415 for another encoding or corrupt gzip, 413 when it decompresses past {@code maxBytes}
     */
    public static byte[] decodeContent(String encoding, byte[] body, long maxBytes) {
        String enc = encoding == null ? "identity" : encoding.trim().toLowerCase(Locale.ROOT);
        switch (enc) {
            case "identity":
                return body;
            case "gzip":
            case "x-gzip":
                return gunzip(body, maxBytes);
            default:
                throw new HttpError(415, "Content-Encoding " + encoding + " is not supported; send identity or gzip");
        }
    }

    /**
     * How much of a body the server still reads, and throws away, before it answers a request it refuses (too large,
     * unauthorized, over a limit). A server that answers and closes while the client is still sending makes the
     * client's kernel see a reset, which can destroy the answer before the client reads it: the client then reports
     * a dead connection instead of the reason, and retries a request that cannot succeed. Reading the rest (as
     * nginx's lingering close does) lets the answer arrive and keeps the connection for the next request; past this
     * many bytes the server stops paying for a client that will not stop, answers, and closes.
     */
    static final long DISCARD_LIMIT = 16L << 20;

    /**
     * Reads the whole body as sent, whatever its {@code Content-Encoding}, refusing more than {@code maxBytes}.
     * A body over the limit is refused once the rest of it has been read and thrown away ({@link #DISCARD_LIMIT}).
     *
     * @return the body; completes exceptionally with {@link HttpError} 413 when it is too large
     */
    public CompletableFuture<byte[]> rawBody(long maxBytes) {
        bodyStarted = true;
        long declared = request.getLength();
        CompletableFuture<byte[]> read = new CompletableFuture<>();
        if (declared > maxBytes) {
            HttpError error = tooLarge(maxBytes, "Content-Length is " + declared);
            if (declared > DISCARD_LIMIT) {
                read.completeExceptionally(error); // more than would be thrown away: answer, and close
            } else {
                discard(request, end -> {
                    bodyConsumed = end;
                    read.completeExceptionally(error);
                });
            }
            return read;
        }
        Pace pace = paceOf(read);
        readBody(new ByteArrayOutputStream(declared > 0 ? (int) declared : 8192), maxBytes, read, pace);
        return read;
    }

    /**
     * A body's pace, against {@link #minBodyRate}: once {@link #BODY_GRACE_NANOS} have passed since the request
     * began, a body that has arrived at less than the minimum on average is given up on ({@code slow} runs), whether
     * it is being read or thrown away after a refusal. Written here because a request's concurrency slot
     * ({@code gateway.max_concurrent_requests}) is held while its body arrives: without a floor, a few dozen
     * connections sending a byte every few seconds held every slot, and every other write was answered 503, for as
     * long as they kept sending. Jetty's idle timeout cuts only a connection that sends nothing for 30 s; its
     * {@code MinimumDataRateHandler} counts the bytes of every request its handler served, not of the one it checks,
     * and checks only when bytes arrive.
     */
    private final class Pace implements Runnable {

        private final java.util.function.BooleanSupplier finished;
        private final Runnable slow;
        private volatile long bytes;
        private boolean scheduled;

        Pace(java.util.function.BooleanSupplier finished, Runnable slow) {
            this.finished = finished;
            this.slow = slow;
        }

        void arrived(long n) {
            bytes += n; // one reader at a time: Jetty runs a demand's callback after the read that asked for it
        }

        /** The reader waits for more: makes sure a check runs when the body would fall under the pace. */
        synchronized void waiting() {
            if (!scheduled && !finished.getAsBoolean()) {
                scheduled = true;
                request.getComponents().getScheduler().schedule(this, Math.max(1, dueNanos() - System.nanoTime()),
                        java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }

        /** When the body falls under the pace unless more arrives: past the grace, bytes / rate after the start. */
        private long dueNanos() {
            return startNanos + Math.max(BODY_GRACE_NANOS, (long) (bytes * 1e9 / minBodyRate));
        }

        @Override
        public void run() {
            synchronized (this) {
                scheduled = false;
            }
            if (finished.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() - dueNanos() < 0) {
                waiting(); // more arrived since: check again when it would be due
                return;
            }
            slow.run();
        }

        String describe() {
            return String.format(Locale.ROOT, "the request body arrived too slowly: %d bytes in %.1f s, under the "
                    + "minimum of %d bytes a second (gateway.min_body_rate); retry", bytes,
                    (System.nanoTime() - startNanos) / 1e9, minBodyRate);
        }
    }

    /** A pace for a body being read into {@code done}, or null when any pace will do. */
    private Pace paceOf(CompletableFuture<byte[]> done) {
        if (minBodyRate <= 0) {
            return null;
        }
        Pace[] pace = new Pace[1];
        pace[0] = new Pace(done::isDone, () -> done.completeExceptionally(new HttpError(503, pace[0].describe())));
        return pace[0];
    }

    /**
     * Jetty's read/demand loop, counting bytes as they come so a chunked body over the limit is refused
     * as soon as it passes it, without buffering the rest.
     */
    private void readBody(ByteArrayOutputStream out, long maxBytes, CompletableFuture<byte[]> done, Pace pace) {
        while (true) {
            if (done.isDone()) {
                return; // refused for its pace: the answer closes the connection, and the rest is not read
            }
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                if (pace != null) {
                    pace.waiting();
                }
                request.demand(() -> readBody(out, maxBytes, done, pace));
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                done.completeExceptionally(new HttpError(400, "cannot read the request body: " + chunk.getFailure()));
                return;
            }
            ByteBuffer buffer = chunk.getByteBuffer();
            boolean last = chunk.isLast();
            if (out.size() + (long) buffer.remaining() > maxBytes) {
                chunk.release();
                HttpError error = tooLarge(maxBytes, "the body is larger");
                if (last) {
                    bodyConsumed = true;
                    done.completeExceptionally(error);
                } else {
                    discard(request, end -> {
                        bodyConsumed = end;
                        done.completeExceptionally(error);
                    });
                }
                return;
            }
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            out.writeBytes(bytes);
            chunk.release();
            if (pace != null) {
                pace.arrived(bytes.length);
            }
            if (last) {
                bodyConsumed = true;
                done.complete(out.toByteArray());
                return;
            }
        }
    }

    /**
     * Reads what is left of {@code request}'s body and drops it, up to {@link #DISCARD_LIMIT} bytes, then runs
     * {@code then} with whether the body's end was reached. A client waiting for {@code 100 Continue} has sent no
     * body and, answered without it, sends none: nothing is read.
     */
    private void discard(Request request, java.util.function.Consumer<Boolean> then) {
        if (request.getHeaders().contains(HttpHeader.EXPECT, "100-continue")) {
            then.accept(false);
            return;
        }
        AtomicBoolean over = new AtomicBoolean();
        java.util.function.Consumer<Boolean> once = end -> {
            if (over.compareAndSet(false, true)) {
                then.accept(end);
            }
        };
        Pace pace = minBodyRate > 0 ? new Pace(over::get, () -> once.accept(false)) : null;
        discard(request, 0, once, over, pace);
    }

    private void discard(Request request, long seen, java.util.function.Consumer<Boolean> then, AtomicBoolean over,
            Pace pace) {
        long total = seen;
        while (!over.get()) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                long sofar = total;
                if (pace != null) {
                    pace.waiting();
                }
                request.demand(() -> discard(request, sofar, then, over, pace));
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                then.accept(false);
                return;
            }
            total += chunk.remaining();
            if (pace != null) {
                pace.arrived(chunk.remaining());
            }
            boolean last = chunk.isLast();
            chunk.release();
            if (last || total > DISCARD_LIMIT) {
                then.accept(last);
                return;
            }
        }
    }

    /** A 413 naming the limit. */
    public static HttpError tooLarge(long max, String detail) {
        return new HttpError(413, "request body too large: " + detail + " than the limit of " + max
                + " bytes (gateway.max_request_bytes); split the request");
    }

    private static byte[] gunzip(byte[] bytes, long maxBytes) {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(bytes.length * 4, 1 << 20));
            byte[] buf = new byte[8192];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > maxBytes) {
                    throw tooLarge(maxBytes, "the decompressed body is larger");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new HttpError(415, "Content-Encoding is gzip but the body is not valid gzip: " + e.getMessage());
        }
    }

    /** Answers with a plain-text body (a trailing newline is added). */
    public void respondText(int status, String text) {
        respond(status, "text/plain; charset=utf-8", (text + "\n").getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** Answers with no body. */
    public void respondEmpty(int status, Map<String, String> headers) {
        respond(status, null, new byte[0], headers);
    }

    /**
     * Answers the request. Only the first answer counts; later ones are ignored (a handler racing a timeout).
     * An answer given before a handler read the body is sent once the body has been read and thrown away
     * ({@link #DISCARD_LIMIT}), so that it reaches the client. An answer sent before the body's end was read carries
     * {@code Connection: close} ({@link #closeUnlessConsumed}).
     *
     * @return whether this call answered
     */
    public boolean respond(int status, String contentType, byte[] body, Map<String, String> headers) {
        if (!answered.compareAndSet(false, true)) {
            return false;
        }
        if (!bodyStarted && !bodyConsumed && hasBody(request)) {
            bodyStarted = true;
            discard(request, end -> {
                bodyConsumed = end;
                send(status, contentType, body, headers);
            });
        } else {
            send(status, contentType, body, headers);
        }
        return true;
    }

    private void send(int status, String contentType, byte[] body, Map<String, String> headers) {
        response.setStatus(status);
        if (contentType != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        }
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        closeUnlessConsumed(request, response, bodyConsumed);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
