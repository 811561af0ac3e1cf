package io.caiman.core.http;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A deadline on a whole HTTP answer, body included, for the JDK's {@link HttpClient}. Written here because the JDK's
 * request timeout ({@link HttpRequest.Builder#timeout}) ends when the response headers arrive: a server that sends
 * its headers and then stalls holds the call for good (a crawl and one of the crawler's permits, a remote-write push
 * and the thread that sends the processors' aggregates). Past the deadline the call is cancelled, which closes its
 * connection.
 */
public final class ResponseDeadline {

    private ResponseDeadline() {}

    /**
     * {@code response}, failed with a {@link TimeoutException} when it has not completed within {@code timeout}; the
     * call is then cancelled.
     */
    public static <T> CompletableFuture<T> within(CompletableFuture<T> response, Duration timeout) {
        CompletableFuture<T> bounded = response.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        bounded.whenComplete((r, failure) -> {
            if (failure instanceof TimeoutException) {
                response.cancel(true);
            }
        });
        return bounded;
    }

    /**
     * Sends {@code request} and waits for its whole answer for at most the request's own timeout.
     *
     * @throws HttpTimeoutException when the answer, body included, did not arrive within it
     * @throws IOException as {@link HttpClient#send} throws it
     */
    public static <T> HttpResponse<T> send(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> body)
            throws IOException, InterruptedException {
        Duration timeout = request.timeout().orElseThrow(() -> new IllegalArgumentException(
                "a request sent with a deadline needs a timeout: " + request.uri()));
        CompletableFuture<HttpResponse<T>> response = client.sendAsync(request, body);
        try {
            return within(response, timeout).get();
        } catch (InterruptedException e) {
            response.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TimeoutException) {
                throw new HttpTimeoutException("no whole answer from " + request.uri() + " within "
                        + timeout.toMillis() + " ms");
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(cause.getMessage() != null ? cause.getMessage() : cause.toString(), cause);
        }
    }
}
