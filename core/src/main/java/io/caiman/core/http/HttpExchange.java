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
import org.eclipse.jetty.util.Fields;

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
    private Fields query;

    HttpExchange(Request request, Response response, Callback callback) {
        this.request = request;
        this.response = response;
        this.callback = callback;
    }

    public String method() {
        return request.getMethod();
    }

    public String path() {
        return Request.getPathInContext(request);
    }

    /** The first value of a header, or {@code null}. */
    public String header(String name) {
        return request.getHeaders().get(name);
    }

    /** Every value of a query parameter, in order; empty when it is absent. */
    public List<String> queryValues(String name) {
        if (query == null) {
            query = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        }
        List<String> values = query.getValues(name);
        return values == null ? List.of() : values;
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
        readBody(new ByteArrayOutputStream(declared > 0 ? (int) declared : 8192), maxBytes, read);
        return read;
    }

    /**
     * Jetty's read/demand loop, counting bytes as they come so a chunked body over the limit is refused
     * as soon as it passes it, without buffering the rest.
     */
    private void readBody(ByteArrayOutputStream out, long maxBytes, CompletableFuture<byte[]> done) {
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                request.demand(() -> readBody(out, maxBytes, done));
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
    private static void discard(Request request, java.util.function.Consumer<Boolean> then) {
        if (request.getHeaders().contains(HttpHeader.EXPECT, "100-continue")) {
            then.accept(false);
            return;
        }
        discard(request, 0, then);
    }

    private static void discard(Request request, long seen, java.util.function.Consumer<Boolean> then) {
        long total = seen;
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                long sofar = total;
                request.demand(() -> discard(request, sofar, then));
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                then.accept(false);
                return;
            }
            total += chunk.remaining();
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
