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
     * Reads the whole body as sent, whatever its {@code Content-Encoding}, refusing more than {@code maxBytes}.
     *
     * @return the body; completes exceptionally with {@link HttpError} 413 when it is too large
     */
    public CompletableFuture<byte[]> rawBody(long maxBytes) {
        long declared = request.getLength();
        if (declared > maxBytes) {
            return CompletableFuture.failedFuture(tooLarge(maxBytes, "Content-Length is " + declared));
        }
        CompletableFuture<byte[]> read = new CompletableFuture<>();
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
            if (out.size() + (long) buffer.remaining() > maxBytes) {
                chunk.release();
                done.completeExceptionally(tooLarge(maxBytes, "the body is larger"));
                return;
            }
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            out.writeBytes(bytes);
            chunk.release();
            if (chunk.isLast()) {
                done.complete(out.toByteArray());
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
     *
     * @return whether this call answered
     */
    public boolean respond(int status, String contentType, byte[] body, Map<String, String> headers) {
        if (!answered.compareAndSet(false, true)) {
            return false;
        }
        response.setStatus(status);
        if (contentType != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        }
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}
